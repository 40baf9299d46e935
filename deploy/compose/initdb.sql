-- Run once by the postgres image on an empty volume: one database per service (each keeps its
-- own migration history; the services create their tables at start-up).
CREATE DATABASE catalogue;
CREATE DATABASE gatekeeper;
