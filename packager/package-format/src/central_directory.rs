//! The raw names of a zip's central directory. The zip reader keeps one entry per name, so a
//! second entry with the same name would be invisible to it: this scan sees every header.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
};

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Every entry name in central-directory order (at most `max_entries + 1` of them).
pub fn raw_names(file: &mut File, max_entries: usize) -> io::Result<Vec<String>> {
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(65_535 + 22 + 20);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut tail)?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG)
        .ok_or_else(|| invalid("no end of central directory"))?;
    let eocd_abs = len - tail_len + eocd as u64;
    let mut cd_size = u64::from(u32_at(&tail, eocd + 12));
    let mut cd_end = eocd_abs;
    if eocd >= 20 && u32_at(&tail, eocd - 20) == EOCD64_LOCATOR_SIG {
        let eocd64_at = u64_at(&tail, eocd - 20 + 8);
        let mut eocd64 = [0u8; 56];
        file.seek(SeekFrom::Start(eocd64_at))?;
        file.read_exact(&mut eocd64)?;
        cd_size = u64_at(&eocd64, 40);
        cd_end = eocd64_at;
    }
    let cd_start = cd_end
        .checked_sub(cd_size)
        .ok_or_else(|| invalid("central directory larger than the file"))?;
    if cd_size > 64 * 1024 * 1024 {
        return Err(invalid("central directory too large"));
    }
    let mut cd = vec![0u8; cd_size as usize];
    file.seek(SeekFrom::Start(cd_start))?;
    file.read_exact(&mut cd)?;
    let mut names = Vec::new();
    let mut at = 0usize;
    while at + 46 <= cd.len() && u32_at(&cd, at) == CENTRAL_SIG && names.len() <= max_entries {
        let name_len = usize::from(u16_at(&cd, at + 28));
        let extra_len = usize::from(u16_at(&cd, at + 30));
        let comment_len = usize::from(u16_at(&cd, at + 32));
        let name = cd
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| invalid("truncated central directory"))?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
}
