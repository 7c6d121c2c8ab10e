DROP TABLE consent_webhooks;
DROP TABLE audit_events;
