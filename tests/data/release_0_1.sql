BEGIN TRANSACTION;
CREATE TABLE appointments (
	id INTEGER NOT NULL, 
	contact_id INTEGER NOT NULL, 
	provider_id VARCHAR(40) NOT NULL, 
	appointment_type VARCHAR(40) NOT NULL, 
	start DATETIME NOT NULL, 
	"end" DATETIME NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(contact_id) REFERENCES contacts (id)
);
INSERT INTO "appointments" VALUES(1,1,'patel','checkup','2026-12-08 15:00:00.000000','2026-12-08 15:30:00.000000','booked','2026-12-01 04:54:45.061524');
INSERT INTO "appointments" VALUES(2,1,'ruiz','cleaning','2026-12-09 19:00:00.000000','2026-12-09 20:00:00.000000','booked','2026-12-01 04:54:45.953409');
CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(120) NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	detail TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	signature VARCHAR(64), 
	PRIMARY KEY (id)
);
INSERT INTO "audit_log" VALUES(1,'2026-12-01 04:54:45.912913','receptionist','consent','{"call_sid": "CA065809663a4842728ab5dd64e671ae46", "caller": "[phone]", "consent": "implied after disclosure", "two_party_state": true}','0000000000000000000000000000000000000000000000000000000000000000','5af3e5be82fa4dd188d21e69b81dc55c13a29521f6261823e8e1663ebe41a1c4',NULL);
INSERT INTO "audit_log" VALUES(2,'2026-12-01 04:54:45.954380','receptionist','command','{"action": "book_appointment", "call_sid": "CA065809663a4842728ab5dd64e671ae46", "ok": true}','5af3e5be82fa4dd188d21e69b81dc55c13a29521f6261823e8e1663ebe41a1c4','e63c6714222ef679627118d9c083277509fc6f4521161c8700109076fea4111a',NULL);
INSERT INTO "audit_log" VALUES(3,'2026-12-01 04:54:45.965647','receptionist','command','{"action": "write_back_summary", "call_sid": "CA065809663a4842728ab5dd64e671ae46", "ok": true}','e63c6714222ef679627118d9c083277509fc6f4521161c8700109076fea4111a','297991ca9a022ce96697b2c8eae9efbb6103f52eae4c245d8e44b143219116ab',NULL);
INSERT INTO "audit_log" VALUES(4,'2026-12-01 04:54:45.970485','receptionist','crm_write','{"call_sid": "CA065809663a4842728ab5dd64e671ae46", "contact_id": 1, "disposition": "booked"}','297991ca9a022ce96697b2c8eae9efbb6103f52eae4c245d8e44b143219116ab','983fc5ac65aeabcaffbe517aad4101f169d532b3ecf377894ea83fc44793ed4a',NULL);
INSERT INTO "audit_log" VALUES(5,'2026-12-01 04:54:45.974803','receptionist','consent','{"call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "caller": "[phone]", "consent": "implied after disclosure", "two_party_state": true}','983fc5ac65aeabcaffbe517aad4101f169d532b3ecf377894ea83fc44793ed4a','e3163d75cd337fe07da908d815615110806deaccc9e42d75d3cb99446f37d938',NULL);
INSERT INTO "audit_log" VALUES(6,'2026-12-01 04:54:45.983676','receptionist','handoff','{"call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "category": "human_request", "reason": "said \"talk to a person\"", "target": "on_call"}','e3163d75cd337fe07da908d815615110806deaccc9e42d75d3cb99446f37d938','1171f437dc7b1a5dfb9542484012bc3bea977794d44957c470bf1a8907547b41',NULL);
INSERT INTO "audit_log" VALUES(7,'2026-12-01 04:54:45.990498','receptionist','command','{"action": "write_back_summary", "call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "ok": true}','1171f437dc7b1a5dfb9542484012bc3bea977794d44957c470bf1a8907547b41','afa5d306dd2ff2399b801adbc6a44d1ac0a07d67ff98d313966bac5651f8fb2d',NULL);
INSERT INTO "audit_log" VALUES(8,'2026-12-01 04:54:45.992939','receptionist','crm_write','{"call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "contact_id": null, "disposition": "transferred"}','afa5d306dd2ff2399b801adbc6a44d1ac0a07d67ff98d313966bac5651f8fb2d','e3d5d51b09e9d8cf642692c3f8a7f7279afe4e9d0594a530fd4c09291ff85ae8',NULL);
CREATE TABLE call_log (
	id INTEGER NOT NULL, 
	started_at DATETIME NOT NULL, 
	caller VARCHAR(32), 
	status VARCHAR(20), 
	duration_s INTEGER, 
	call_type VARCHAR(64), 
	resolved BOOLEAN, 
	after_hours BOOLEAN, 
	source VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE calls (
	sid VARCHAR(64) NOT NULL, 
	caller VARCHAR(32) NOT NULL, 
	called VARCHAR(32) NOT NULL, 
	started_at DATETIME NOT NULL, 
	ended_at DATETIME, 
	status VARCHAR(20) NOT NULL, 
	call_type VARCHAR(64), 
	escalation VARCHAR(64), 
	transfer_to VARCHAR(64), 
	disposition VARCHAR(64), 
	state JSON NOT NULL, 
	after_hours BOOLEAN, 
	language VARCHAR(8), 
	sentiment FLOAT, 
	duration_s FLOAT, 
	version INTEGER NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (sid)
);
INSERT INTO "calls" VALUES('CA065809663a4842728ab5dd64e671ae46','+14135550123','+14135550100','2026-12-01 04:54:45.905902','2026-12-01 04:54:45.964179','completed','book_appointment',NULL,NULL,'booked','{"call_sid": "CA065809663a4842728ab5dd64e671ae46", "caller": "+14135550123", "called": "+14135550100", "started_at": "2026-12-01T04:54:45.905902Z", "phase": "ended", "flow": null, "step": null, "stack": [], "call_type": "book_appointment", "call_types": ["book_appointment"], "slots": {"start_intent": "book_appointment", "appointment_type": {"id": "cleaning", "label": "a cleaning", "minutes": 60}, "patient": {"verified": true, "id": 1, "first_name": "Maria", "last_name": "Garcia"}, "booking": {"id": 2, "contact_id": 1, "provider_id": "ruiz", "provider": "Jenna Ruiz", "appointment_type": "cleaning", "start": "2026-12-09T19:00:00Z", "end": "2026-12-09T20:00:00Z", "status": "booked", "label": "Wednesday, December 9 at 2 p.m."}}, "attempts": 0, "misunderstood": 0, "silences": 0, "turns": 5, "seq": 11, "transcript": [["receptionist", "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?"], ["caller", "I''d like to book a cleaning"], ["receptionist", "I see this phone number in our records. To confirm it''s you, what is your date of birth?"], ["caller", "March 3rd, 1985"], ["receptionist", "Thank you, Maria."], ["receptionist", "What day and time would suit you?"], ["caller", "next Wednesday at 2 pm"], ["receptionist", "The closest opening is Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Would you like me to book it?"], ["caller", "yes please"], ["receptionist", "You''re all set: Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Please arrive ten minutes early."], ["receptionist", "Is there anything else I can help you with?"], ["caller", "no, that''s all"], ["receptionist", "Thank you for calling Bright Smile Dental. Goodbye!"]], "last_intent": "deny", "last_confidence": 0.9446, "sentiments": [0.0, 0.0, 0.0, 0.0, 0.0], "escalation": null, "escalation_reason": null, "transfer_to": null, "disposition": "booked", "dispositions": ["booked"], "status": "completed", "last_prompt": "Is there anything else I can help you with?", "consent": "implied", "after_hours": true, "ended_at": "2026-12-01T04:54:45.964179Z", "decision": ""}',1,'en',0.0,0.058277,7,'2026-12-01 04:54:45.966036');
INSERT INTO "calls" VALUES('CAc2fdcdb7426047959ab067d51158c91b','+14135550142','+14135550100','2026-12-01 04:54:45.973241','2026-12-01 04:54:45.989622','transferred',NULL,'human_request','on_call','transferred','{"call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "caller": "+14135550142", "called": "+14135550100", "started_at": "2026-12-01T04:54:45.973241Z", "phase": "ended", "flow": null, "step": null, "stack": [], "call_type": null, "call_types": [], "slots": {}, "attempts": 0, "misunderstood": 0, "silences": 0, "turns": 1, "seq": 4, "transcript": [["receptionist", "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?"], ["caller", "can I talk to a person"], ["receptionist", "Of course. Let me connect you with a person now."]], "last_intent": "human_request", "last_confidence": 0.973, "sentiments": [0.0], "escalation": "human_request", "escalation_reason": "said \"talk to a person\"", "transfer_to": "on_call", "disposition": "transferred", "dispositions": [], "status": "transferred", "last_prompt": "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?", "consent": "implied", "after_hours": true, "ended_at": "2026-12-01T04:54:45.989622Z", "decision": ""}',1,'en',0.0,0.016381,4,'2026-12-01 04:54:45.990832');
CREATE TABLE contacts (
	id INTEGER NOT NULL, 
	first_name VARCHAR(80) NOT NULL, 
	last_name VARCHAR(80) NOT NULL, 
	phone VARCHAR(32), 
	email VARCHAR(200), 
	dob DATE, 
	balance_cents INTEGER NOT NULL, 
	last_interaction_at DATETIME, 
	account VARCHAR(200), 
	account_value FLOAT, 
	external_id VARCHAR(80), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "contacts" VALUES(1,'Maria','Garcia','+14135550123','maria.garcia@example.com','1985-03-03',4500,'2026-12-01 04:54:45.970143',NULL,NULL,NULL,'2026-12-01 04:54:45.060120');
INSERT INTO "contacts" VALUES(2,'John','Smith','+14135550142','john.smith@example.com','1979-07-14',0,'2026-12-01 04:54:45.060879',NULL,NULL,NULL,'2026-12-01 04:54:45.060876');
INSERT INTO "contacts" VALUES(3,'Li','Chen','+14135550177','li.chen@example.com','1980-02-11',12000,'2026-12-01 04:54:45.061037',NULL,NULL,NULL,'2026-12-01 04:54:45.061036');
INSERT INTO "contacts" VALUES(4,'Amy','Chen','+14135550177','amy.chen@example.com','2010-09-30',0,'2026-12-01 04:54:45.061167',NULL,NULL,NULL,'2026-12-01 04:54:45.061165');
INSERT INTO "contacts" VALUES(5,'David','Chen','+14135550177','david.chen@example.com','1978-12-01',2500,'2026-12-01 04:54:45.061280',NULL,NULL,NULL,'2026-12-01 04:54:45.061279');
INSERT INTO "contacts" VALUES(6,'Robert','Brown','+14135550188','robert.brown@example.com','1966-05-20',0,'2026-12-01 04:54:45.061388',NULL,NULL,NULL,'2026-12-01 04:54:45.061387');
CREATE TABLE dispositions (
	call_sid VARCHAR(64) NOT NULL, 
	call_type VARCHAR(64), 
	disposition VARCHAR(64), 
	status VARCHAR(20) NOT NULL, 
	escalation VARCHAR(64), 
	summary TEXT NOT NULL, 
	data JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (call_sid), 
	FOREIGN KEY(call_sid) REFERENCES calls (sid)
);
INSERT INTO "dispositions" VALUES('CA065809663a4842728ab5dd64e671ae46','book_appointment','booked','completed',NULL,'AI receptionist call about book appointment: booked.','{"call_types": ["book_appointment"], "dispositions": ["booked"], "transfer_to": null, "turns": 5}','2026-12-01 04:54:45.967535');
INSERT INTO "dispositions" VALUES('CAc2fdcdb7426047959ab067d51158c91b',NULL,'transferred','transferred','human_request','AI receptionist call about no call type: transferred. Escalated (human_request) to on_call: said "talk to a person".','{"call_types": [], "dispositions": [], "transfer_to": "on_call", "turns": 1}','2026-12-01 04:54:45.991591');
CREATE TABLE do_not_call (
	phone VARCHAR(32) NOT NULL, 
	source VARCHAR(120) NOT NULL, 
	added_at DATETIME NOT NULL, 
	PRIMARY KEY (phone)
);
CREATE TABLE drift_alerts (
	id INTEGER NOT NULL, 
	metric VARCHAR(40) NOT NULL, 
	recent FLOAT NOT NULL, 
	trailing FLOAT NOT NULL, 
	bound FLOAT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE flow_bundles (
	version INTEGER NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	files JSON NOT NULL, 
	note TEXT NOT NULL, 
	"by" VARCHAR(120) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
CREATE TABLE flow_stages (
	id INTEGER NOT NULL, 
	flow VARCHAR(64) NOT NULL, 
	stage VARCHAR(12) NOT NULL, 
	since DATETIME NOT NULL, 
	changed_by VARCHAR(120) NOT NULL, 
	reason TEXT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE handoffs (
	id INTEGER NOT NULL, 
	call_sid VARCHAR(64) NOT NULL, 
	category VARCHAR(64) NOT NULL, 
	reason TEXT NOT NULL, 
	target VARCHAR(64) NOT NULL, 
	number VARCHAR(32) NOT NULL, 
	whisper TEXT NOT NULL, 
	transcript JSON NOT NULL, 
	intent VARCHAR(64), 
	slots JSON NOT NULL, 
	sentiment FLOAT NOT NULL, 
	dial_status VARCHAR(20), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(call_sid) REFERENCES calls (sid)
);
INSERT INTO "handoffs" VALUES(1,'CAc2fdcdb7426047959ab067d51158c91b','human_request','said "talk to a person"','on_call','+14135550199','Caller asked for a person. Caller 4 1 3 5 5 5 0 1 4 2. Reason: said "talk to a person".','[["receptionist", "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?"], ["caller", "can I talk to a person"], ["receptionist", "Of course. Let me connect you with a person now."]]','human_request','{}',0.0,'completed','2026-12-01 04:54:45.982367');
CREATE TABLE outbound_attempts (
	id INTEGER NOT NULL, 
	phone VARCHAR(32) NOT NULL, 
	ticket_id INTEGER, 
	allowed BOOLEAN NOT NULL, 
	rule VARCHAR(40) NOT NULL, 
	detail TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE outbound_consents (
	id INTEGER NOT NULL, 
	phone VARCHAR(32) NOT NULL, 
	written BOOLEAN NOT NULL, 
	source TEXT NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE outbox (
	id INTEGER NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	payload JSON NOT NULL, 
	status VARCHAR(12) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	done_at DATETIME, 
	PRIMARY KEY (id)
);
INSERT INTO "outbox" VALUES(1,'crm_timeline','{"contact_id": 1, "phone": "+14135550123", "call_sid": "CA065809663a4842728ab5dd64e671ae46", "summary": "AI receptionist call about book appointment: booked.", "disposition": "booked", "call_type": "book_appointment", "escalation": null, "status": "completed"}','done',1,'2026-12-01 04:54:45.964914',NULL,'2026-12-01 04:54:45.964918','2026-12-01 04:54:45.970828');
INSERT INTO "outbox" VALUES(2,'crm_timeline','{"contact_id": null, "phone": "+14135550142", "call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "summary": "AI receptionist call about no call type: transferred. Escalated (human_request) to on_call: said \"talk to a person\".", "disposition": "transferred", "call_type": null, "escalation": "human_request", "status": "transferred"}','done',1,'2026-12-01 04:54:45.990183',NULL,'2026-12-01 04:54:45.990187','2026-12-01 04:54:45.993245');
CREATE TABLE qa_reviews (
	id INTEGER NOT NULL, 
	call_sid VARCHAR(64) NOT NULL, 
	period VARCHAR(12) NOT NULL, 
	reviewer VARCHAR(120) NOT NULL, 
	accuracy INTEGER NOT NULL, 
	brand_voice INTEGER NOT NULL, 
	escalation_correct BOOLEAN NOT NULL, 
	satisfaction INTEGER NOT NULL, 
	notes TEXT, 
	passed BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE rollout_events (
	id INTEGER NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	detail JSON NOT NULL, 
	"by" VARCHAR(120) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE shadow_calls (
	call_id VARCHAR(80) NOT NULL, 
	pilot VARCHAR(80) NOT NULL, 
	result JSON NOT NULL, 
	human JSON NOT NULL, 
	labelled_by VARCHAR(120), 
	labelled_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (call_id)
);
CREATE TABLE signoffs (
	id INTEGER NOT NULL, 
	role VARCHAR(40) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	signed_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE tickets (
	id INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	data JSON NOT NULL, 
	recording_url TEXT, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE timeline (
	id INTEGER NOT NULL, 
	contact_id INTEGER, 
	phone VARCHAR(32), 
	kind VARCHAR(40) NOT NULL, 
	summary TEXT NOT NULL, 
	data JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(contact_id) REFERENCES contacts (id)
);
INSERT INTO "timeline" VALUES(1,1,'+14135550123','call','AI receptionist call about book appointment: booked.','{"contact_id": 1, "phone": "+14135550123", "call_sid": "CA065809663a4842728ab5dd64e671ae46", "summary": "AI receptionist call about book appointment: booked.", "disposition": "booked", "call_type": "book_appointment", "escalation": null, "status": "completed"}','2026-12-01 04:54:45.969553');
INSERT INTO "timeline" VALUES(2,NULL,'+14135550142','call','AI receptionist call about no call type: transferred. Escalated (human_request) to on_call: said "talk to a person".','{"contact_id": null, "phone": "+14135550142", "call_sid": "CAc2fdcdb7426047959ab067d51158c91b", "summary": "AI receptionist call about no call type: transferred. Escalated (human_request) to on_call: said \"talk to a person\".", "disposition": "transferred", "call_type": null, "escalation": "human_request", "status": "transferred"}','2026-12-01 04:54:45.992684');
CREATE TABLE turns (
	id INTEGER NOT NULL, 
	call_sid VARCHAR(64) NOT NULL, 
	seq INTEGER NOT NULL, 
	event VARCHAR(20) NOT NULL, 
	caller_text TEXT, 
	digits VARCHAR(32), 
	nlu JSON, 
	decision TEXT, 
	reply TEXT, 
	actions JSON, 
	at DATETIME NOT NULL, 
	duration_ms FLOAT, 
	PRIMARY KEY (id), 
	UNIQUE (call_sid, seq), 
	FOREIGN KEY(call_sid) REFERENCES calls (sid)
);
INSERT INTO "turns" VALUES(1,'CA065809663a4842728ab5dd64e671ae46',1,'call_started',NULL,NULL,'null','greet','This call may be recorded and transcribed to help us serve you. Say "no recording" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?','[{"kind": "gather", "prompt": "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?", "hints": ["appointment", "reschedule", "cancel", "hours", "directions", "parking", "insurance", "bill", "message", "person"], "num_digits": null, "expect": null}]','2026-12-01 04:54:45.905902',2.744);
INSERT INTO "turns" VALUES(2,'CA065809663a4842728ab5dd64e671ae46',2,'speech','I''d like to book a cleaning',NULL,'{"text": "I''d like to book a cleaning", "intent": "book_appointment", "confidence": 0.9469, "entities": [{"entity": "appointment_type", "value": "cleaning", "text": "cleaning", "start": 19, "end": 27, "extractor": "lookup"}], "ranking": [["book_appointment", 0.9469], ["out_of_scope", 0.0389], ["billing_question", 0.0051], ["reschedule_appointment", 0.003], ["leave_message", 0.0021]], "engine": "spacy", "fallback": null}','','I see this phone number in our records. To confirm it''s you, what is your date of birth?','[{"kind": "gather", "prompt": "I see this phone number in our records. To confirm it''s you, what is your date of birth?", "hints": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"], "num_digits": null, "expect": "dob"}]','2026-12-01 04:54:45.915998',3.404);
INSERT INTO "turns" VALUES(3,'CA065809663a4842728ab5dd64e671ae46',3,'speech','March 3rd, 1985',NULL,'{"text": "March 3rd, 1985", "intent": "inform", "confidence": 0.8998, "entities": [{"entity": "datetime", "value": {"text": "March 3rd, 1985", "date": "1985-03-03"}, "text": "March 3rd, 1985", "start": null, "end": null, "extractor": "date_resolver"}], "ranking": [["inform", 0.8998], ["book_appointment", 0.0087], ["affirm", 0.0086], ["greet", 0.0073], ["deny", 0.007]], "engine": "spacy", "fallback": null}','','Thank you, Maria. What day and time would suit you?','[{"kind": "say", "text": "Thank you, Maria."}, {"kind": "gather", "prompt": "What day and time would suit you?", "hints": ["tomorrow", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "morning", "afternoon"], "num_digits": null, "expect": "datetime"}]','2026-12-01 04:54:45.929512',1.717);
INSERT INTO "turns" VALUES(4,'CA065809663a4842728ab5dd64e671ae46',4,'speech','next Wednesday at 2 pm',NULL,'{"text": "next Wednesday at 2 pm", "intent": "inform", "confidence": 0.4686, "entities": [{"entity": "datetime", "value": {"text": "next Wednesday at 2 pm", "date": "2026-12-09", "time": "14:00"}, "text": "next Wednesday at 2 pm", "start": null, "end": null, "extractor": "date_resolver"}], "ranking": [["inform", 0.4686], ["out_of_scope", 0.0701], ["deny", 0.069], ["book_appointment", 0.059], ["affirm", 0.0407]], "engine": "spacy", "fallback": null}','','The closest opening is Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Would you like me to book it?','[{"kind": "gather", "prompt": "The closest opening is Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Would you like me to book it?", "hints": ["yes", "no"], "num_digits": null, "expect": "yes_no"}]','2026-12-01 04:54:45.940160',2.592);
INSERT INTO "turns" VALUES(5,'CA065809663a4842728ab5dd64e671ae46',5,'speech','yes please',NULL,'{"text": "yes please", "intent": "affirm", "confidence": 0.8356, "entities": [], "ranking": [["affirm", 0.8356], ["book_appointment", 0.045], ["greet", 0.0192], ["human_request", 0.018], ["cancel_appointment", 0.0127]], "engine": "spacy", "fallback": null}','end booked','You''re all set: Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Please arrive ten minutes early. Is there anything else I can help you with?','[{"kind": "say", "text": "You''re all set: Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Please arrive ten minutes early."}, {"kind": "gather", "prompt": "Is there anything else I can help you with?", "hints": ["no", "that''s all"], "num_digits": null, "expect": null}]','2026-12-01 04:54:45.949032',2.629);
INSERT INTO "turns" VALUES(6,'CA065809663a4842728ab5dd64e671ae46',6,'speech','no, that''s all',NULL,'{"text": "no, that''s all", "intent": "deny", "confidence": 0.9446, "entities": [], "ranking": [["deny", 0.9446], ["goodbye", 0.0343], ["affirm", 0.0105], ["office_hours", 0.001], ["mental_health", 0.0009]], "engine": "spacy", "fallback": null}','goodbye','Thank you for calling Bright Smile Dental. Goodbye!','[{"kind": "say", "text": "Thank you for calling Bright Smile Dental. Goodbye!"}, {"kind": "hangup"}]','2026-12-01 04:54:45.957244',0.853);
INSERT INTO "turns" VALUES(7,'CA065809663a4842728ab5dd64e671ae46',7,'call_ended',NULL,NULL,'null','',NULL,'[]','2026-12-01 04:54:45.964179',2.398);
INSERT INTO "turns" VALUES(8,'CAc2fdcdb7426047959ab067d51158c91b',1,'call_started',NULL,NULL,'null','greet','This call may be recorded and transcribed to help us serve you. Say "no recording" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?','[{"kind": "gather", "prompt": "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?", "hints": ["appointment", "reschedule", "cancel", "hours", "directions", "parking", "insurance", "bill", "message", "person"], "num_digits": null, "expect": null}]','2026-12-01 04:54:45.973241',0.71);
INSERT INTO "turns" VALUES(9,'CAc2fdcdb7426047959ab067d51158c91b',2,'speech','can I talk to a person',NULL,'{"text": "can I talk to a person", "intent": "human_request", "confidence": 0.973, "entities": [], "ranking": [["human_request", 0.973], ["out_of_scope", 0.0065], ["reschedule_appointment", 0.0035], ["book_appointment", 0.003], ["billing_question", 0.0028]], "engine": "spacy", "fallback": null}','escalate human_request -> on_call: said "talk to a person"','Of course. Let me connect you with a person now.','[{"kind": "say", "text": "Of course. Let me connect you with a person now."}, {"kind": "transfer", "handoff": {"category": "human_request", "reason": "said \"talk to a person\"", "target": "on_call", "number": "+14135550199", "whisper": "Caller asked for a person. Caller 4 1 3 5 5 5 0 1 4 2. Reason: said \"talk to a person\".", "transcript": [["receptionist", "This call may be recorded and transcribed to help us serve you. Say \"no recording\" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?"], ["caller", "can I talk to a person"], ["receptionist", "Of course. Let me connect you with a person now."]], "intent": "human_request", "slots": {}, "sentiment": 0.0}}]','2026-12-01 04:54:45.976469',1.642);
INSERT INTO "turns" VALUES(10,'CAc2fdcdb7426047959ab067d51158c91b',3,'dial_finished',NULL,NULL,'null','handoff answered',NULL,'[{"kind": "hangup"}]','2026-12-01 04:54:45.987326',0.609);
INSERT INTO "turns" VALUES(11,'CAc2fdcdb7426047959ab067d51158c91b',4,'call_ended',NULL,NULL,'null','',NULL,'[]','2026-12-01 04:54:45.989622',1.308);
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(80) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	role VARCHAR(12) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (username)
);
CREATE TABLE webhook_requests (
	"key" VARCHAR(64) NOT NULL, 
	call_sid VARCHAR(64), 
	response TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "webhook_requests" VALUES('4d4bfb6b04b5834d1d3a082ce931fe814b49ed87b6ca40c4f18e80354d69013c','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/gather?turn=0" actionOnEmptyResult="true" hints="appointment, reschedule, cancel, hours, directions, parking, insurance, bill, message, person" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">This call may be recorded and transcribed to help us serve you. Say "no recording" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?</Say></Gather></Response>','2026-12-01 04:54:45.913823');
INSERT INTO "webhook_requests" VALUES('3b58ce562539d816a28a704fad1845d47d7458967514c70620b0b56f0d82f6f7','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/gather?turn=2" actionOnEmptyResult="true" hints="January, February, March, April, May, June, July, August, September, October, November, December" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">I see this phone number in our records. To confirm it''s you, what is your date of birth?</Say></Gather></Response>','2026-12-01 04:54:45.927895');
INSERT INTO "webhook_requests" VALUES('f2166e3d66eb3b8a70604165180fe6db89ddc6ea0e35868147a7c775cbb63664','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Thank you, Maria.</Say><Gather action="/twilio/gather?turn=4" actionOnEmptyResult="true" hints="tomorrow, Monday, Tuesday, Wednesday, Thursday, Friday, morning, afternoon" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">What day and time would suit you?</Say></Gather></Response>','2026-12-01 04:54:45.938579');
INSERT INTO "webhook_requests" VALUES('7f469f33d636463f1f1ec5866633e4afb65c3b488f59982dcdc7b63bc5f84a31','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/gather?turn=6" actionOnEmptyResult="true" hints="yes, no" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">The closest opening is Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Would you like me to book it?</Say></Gather></Response>','2026-12-01 04:54:45.947562');
INSERT INTO "webhook_requests" VALUES('e51becf58ddc69abf295027588431fa09fdf3782da4359a38f41407c66268321','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">You''re all set: Wednesday, December 9 at 2 p.m. with Jenna Ruiz. Please arrive ten minutes early.</Say><Gather action="/twilio/gather?turn=8" actionOnEmptyResult="true" hints="no, that''s all" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">Is there anything else I can help you with?</Say></Gather></Response>','2026-12-01 04:54:45.955738');
INSERT INTO "webhook_requests" VALUES('f72b95849877c45c26cc4bf884327133d503a4e946ea43d17741028ba655f508','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Thank you for calling Bright Smile Dental. Goodbye!</Say><Hangup /></Response>','2026-12-01 04:54:45.962751');
INSERT INTO "webhook_requests" VALUES('ab67d7ec7503a142e0cd5f7cb1367547938b07c6a1c24b6a66531c4a7657b790','CA065809663a4842728ab5dd64e671ae46','<?xml version="1.0" encoding="UTF-8"?><Response />','2026-12-01 04:54:45.968033');
INSERT INTO "webhook_requests" VALUES('881413a03831d8e1652f1d669a04971c9ad08bf07e4a5e2fdd782921976e913f','CAc2fdcdb7426047959ab067d51158c91b','<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/twilio/gather?turn=0" actionOnEmptyResult="true" hints="appointment, reschedule, cancel, hours, directions, parking, insurance, bill, message, person" input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US" voice="Polly.Joanna">This call may be recorded and transcribed to help us serve you. Say "no recording" at any time if you prefer it isn''t. Thank you for calling Bright Smile Dental. I''m the virtual receptionist. You can ask for a person at any time. How can I help you today?</Say></Gather></Response>','2026-12-01 04:54:45.975256');
INSERT INTO "webhook_requests" VALUES('469a7afa5d2c690d9d213399a98e2acd83b6a32054964358af85b7fa26c4ed47','CAc2fdcdb7426047959ab067d51158c91b','<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Of course. Let me connect you with a person now.</Say><Dial action="/twilio/dial?handoff=1" method="POST" timeout="20"><Number method="POST" url="/twilio/whisper?handoff=1">+14135550199</Number></Dial></Response>','2026-12-01 04:54:45.984141');
INSERT INTO "webhook_requests" VALUES('bfc6a20396529e13c2d15aa18b2831660b5fc7cf2f3966aa70f41eadbb94cee6','CAc2fdcdb7426047959ab067d51158c91b','<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>','2026-12-01 04:54:45.988600');
INSERT INTO "webhook_requests" VALUES('dffddbde5c1340e66bcddf94956405847467ac239b0b1acc3b12a10d761a5ce7','CAc2fdcdb7426047959ab067d51158c91b','<?xml version="1.0" encoding="UTF-8"?><Response />','2026-12-01 04:54:45.991766');
CREATE INDEX ix_webhook_requests_call_sid ON webhook_requests (call_sid);
CREATE INDEX ix_outbox_status ON outbox (status);
CREATE INDEX ix_flow_stages_flow ON flow_stages (flow);
CREATE INDEX ix_contacts_phone ON contacts (phone);
CREATE INDEX ix_contacts_external_id ON contacts (external_id);
CREATE INDEX ix_audit_log_kind ON audit_log (kind);
CREATE INDEX ix_outbound_consents_phone ON outbound_consents (phone);
CREATE INDEX ix_qa_reviews_call_sid ON qa_reviews (call_sid);
CREATE INDEX ix_call_log_started_at ON call_log (started_at);
CREATE INDEX ix_shadow_calls_pilot ON shadow_calls (pilot);
CREATE INDEX ix_turns_call_sid ON turns (call_sid);
CREATE INDEX ix_handoffs_call_sid ON handoffs (call_sid);
CREATE INDEX ix_timeline_contact_id ON timeline (contact_id);
CREATE INDEX ix_appointments_start ON appointments (start);
CREATE INDEX ix_appointments_contact_id ON appointments (contact_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
COMMIT;