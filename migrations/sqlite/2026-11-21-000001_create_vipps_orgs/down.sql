DROP TABLE vipps_orgs;
