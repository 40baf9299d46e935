//! Cross-references between descriptors: every VNF an NSD names must be on-boarded with it or
//! already known; connection points named by virtual links should exist (warnings only).

use std::collections::HashSet;

use serde_json::Value;

use crate::{
    descriptor::{Descriptor, DescriptorType, Identity},
    yaml,
};

/// A VNF named by an NSD of the package but not shipped in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideReference {
    pub nsd: String,
    pub vnf: Identity,
}

/// What the cross-reference checks found.
#[derive(Debug, Default, Clone)]
pub struct TopologyReport {
    /// VNFs to look for elsewhere (the catalogue); the CLI reports them as warnings.
    pub outside: Vec<OutsideReference>,
    pub warnings: Vec<String>,
}

/// Check the 5GTANGO NSDs of a package. `links` adds the virtual-link checks of the topology
/// level.
pub fn check(descriptors: &[Descriptor], links: bool) -> TopologyReport {
    let shipped: HashSet<&Identity> = descriptors
        .iter()
        .filter(|d| d.kind == DescriptorType::Vnfd)
        .filter_map(|d| d.identity.as_ref())
        .collect();
    let mut report = TopologyReport::default();
    for nsd in descriptors
        .iter()
        .filter(|d| d.kind == DescriptorType::Nsd && d.platform == Some("5gtango"))
    {
        let functions = network_functions(&nsd.body);
        for (_, vnf) in &functions {
            if !shipped.contains(vnf) {
                report.outside.push(OutsideReference {
                    nsd: nsd.source.clone(),
                    vnf: vnf.clone(),
                });
            }
        }
        if links {
            let ids: HashSet<&str> = functions.iter().map(|(id, _)| id.as_str()).collect();
            check_virtual_links(nsd, &ids, &mut report.warnings);
        }
    }
    report
}

/// `(vnf_id, identity)` of each `network_functions` item.
fn network_functions(nsd: &Value) -> Vec<(String, Identity)> {
    let items = nsd.get("network_functions").and_then(Value::as_array);
    items
        .into_iter()
        .flatten()
        .filter_map(|nf| {
            let text = |k: &str| nf.get(k).and_then(yaml::scalar_text);
            Some((
                text("vnf_id").unwrap_or_default(),
                Identity {
                    vendor: text("vnf_vendor")?,
                    name: text("vnf_name")?,
                    version: text("vnf_version")?,
                },
            ))
        })
        .collect()
}

fn check_virtual_links(nsd: &Descriptor, vnf_ids: &HashSet<&str>, warnings: &mut Vec<String>) {
    let links = nsd.body.get("virtual_links").and_then(Value::as_array);
    for link in links.into_iter().flatten() {
        let link_id = link
            .get("id")
            .and_then(yaml::scalar_text)
            .unwrap_or_default();
        let refs = link
            .get("connection_points_reference")
            .and_then(Value::as_array);
        for reference in refs.into_iter().flatten().filter_map(Value::as_str) {
            if let Some((vnf_id, _)) = reference.split_once(':') {
                if !vnf_ids.contains(vnf_id) {
                    warnings.push(format!(
                        "{}: virtual link {link_id:?} names {reference:?}, but {vnf_id:?} is not a network function of the NSD",
                        nsd.source
                    ));
                }
            }
        }
    }
}
