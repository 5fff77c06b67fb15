"""Response bodies shaped as the simulator sends them (simulator/api_*.py).

A few values differ from the simulator's seed so that both sides of a rule
are seen (a permission refused, an entry disabled, a time with an offset).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

MA, SA = "MA_U6H7JHHR", "SA_REEMA9XE"
TRUNK_ID = "0b3ed60f-2076-4873-b46e-1c2b1d938529"
CRED_ID = "90da262b-b959-40fe-a9f7-17987c3367fc"
STAMP = "2026-10-07T04:28:14.000000Z"
AT = dt.datetime(2026, 10, 7, 4, 28, 14, tzinfo=dt.UTC)
TOKEN = "bchjHhcKjnhJq8HK9z2dCRTZ_pUv11uWBXeqNAGv"


def as_client_sees(body: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON as VobizClient parses it (fractions as Decimal)."""
    return json.loads(json.dumps(body), parse_float=Decimal)


SUB_ACCOUNT = {
    "name": "Nimbus Telecom (Partner)",
    "email": "nimbustelecom@acme.example",
    "phone": "+919845025878",
    "description": "Partner voice workload: Nimbus Telecom (Partner)",
    "permissions": {"calls": True, "cdr": False},
    "rate_limit": 2000,
    "id": "500006",
    "parent_account_id": "500000",
    "parent_auth_id": MA,
    "auth_id": SA,
    "auth_token": "<redacted>",
    "api_id": "82ab5f26-10f6-47d8-93b5-ac0508258586",
    "email_verified": True,
    "enabled": True,
    "is_active": True,
    "created": "2026-08-19",
    "modified": STAMP,
    "created_at": STAMP,
    "updated_at": STAMP,
    "account": f"/v1/Account/{MA}/",
    "resource_uri": f"/v1/Account/{MA}/Subaccount/{SA}/",
    "last_used": None,
}
TRUNK = {
    "trunk_id": TRUNK_ID,
    "account_id": MA,
    "name": "Acme Production Trunk",
    "trunk_domain": f"{TRUNK_ID}.sip.vobiz.ai",
    "trunk_status": "active",
    "secure": False,
    "trunk_direction": "outbound",
    "concurrent_calls_limit": 10,
    "cps_limit": 2,
    "credential_uuid": CRED_ID,
    "ipacl_uuid": None,
    "primary_uri_uuid": None,
    "fallback_uri_uuid": None,
    "inbound_destination": None,
    "description": "",
    "transport": "udp",
    "recording": True,
    "enable_transcription": False,
    "pii_redaction": False,
    "pii_entity_types": None,
    "webhook_url": None,
    "webhook_method": "POST",
    "recording_webhook_enabled": False,
    "enabled": True,
    "created_at": STAMP,
    "updated_at": "2026-10-07T09:58:14+05:30",
}
CREDENTIAL = {
    "id": CRED_ID,
    "account_id": MA,
    "username": "acmeproduction00",
    "password": "<redacted>",
    "realm": f"{MA}.sip.vobiz.ai",
    "enabled": True,
    "created_at": STAMP,
    "updated_at": STAMP,
}
IP_ACL = {
    "id": "e2f61f0b-b69d-4407-a3d1-503cf66795c5",
    "account_id": SA,
    "ip_address": "172.16.5.10",
    "description": "Acme Inbound PBX egress",
    "enabled": False,
    "created_at": STAMP,
    "updated_at": STAMP,
}
ORIGINATION_URI = {
    "id": "e1632a7f-78f2-41db-9b2e-8168c135493b",
    "account_id": MA,
    "name": "Primary PBX",
    "uri": "sip:pbx.example.com:5060",
    "priority": 1,
    "weight": 10,
    "enabled": True,
    "created_at": STAMP,
    "updated_at": STAMP,
}
CAPABILITIES = {"voice": True, "sms": False, "mms": False, "fax": False}
INVENTORY_ITEM = {
    "id": "41089f1a-87cc-4841-9723-0e5eaba3336c",
    "e164": "+919212738101",
    "country": "IN",
    "region": "Delhi",
    "status": "active",
    "setup_fee": 50.0,
    "monthly_fee": 500.0,
    "currency": "INR",
    "created_at": STAMP,
    "updated_at": STAMP,
    "capabilities": CAPABILITIES,
    "voice_enabled": True,
    "is_trial_number": False,
    "minimum_commitment_months": 0,
    "aadhaar_verification_required": True,
    "aadhaar_verified": False,
}
OWNED_NUMBER = {
    "id": "0760b7d4-e808-4bb8-abb7-899d985f4455",
    "account_id": SA,
    "e164": "+917924408805",
    "country": "IN",
    "region": "Gujarat",
    "capabilities": CAPABILITIES,
    "status": "active",
    "provider": "",
    "setup_fee": 50.0,
    "monthly_fee": 350.0,
    "currency": "INR",
    "application_id": None,
    "voice_enabled": True,
    "tags": [],
    "purchased_at": STAMP,
    "is_blocked": False,
    "created_at": STAMP,
    "updated_at": STAMP,
    "is_trial_number": False,
    "last_billing_date": STAMP,
    "next_billing_date": "2027-01-08T02:05:14.000000Z",
    "minimum_commitment_months": 0,
    "aadhaar_verification_required": False,
    "aadhaar_verified": False,
    "source": "purchased",
    "trunk_group_id": TRUNK_ID,
    "released_at": None,
}
BALANCE = {
    "id": "23c98f66-a3d0-4868-b187-98f3e82aabc5",
    "account_id": MA,
    "currency": "INR",
    "balance": 115693.0,
    "reserved_funds": 0,
    "promotional_balance": 0,
    "promotional_reserved_balance": 0,
    "available_balance": 115600.5,
    "credit_limit": 1000,
    "is_postpaid": False,
    "credit_limit_type": "soft",
    "low_balance_threshold": 500.0,
    "status": "active",
    "created_at": STAMP,
    "updated_at": STAMP,
}
TRANSACTION = {
    "id": "txn_4d2eb7cf-c2e2-4278-92de-7b5e83e7158d",
    "auth_id": SA,
    "balance_id": "bal_23c98f66-a3d0-4868-b187-98f3e82aabc5",
    "type": "debit",
    "amount": 400.0,
    "currency": "INR",
    "description": "DID purchase +917924408805 (setup ₹50.00 + first month ₹350.00)",
    "reference": "did_0760b7d4-e808-4bb8-abb7-899d985f4455",
    "reference_type": "did_rental",
    "status": "completed",
    "processed_at": STAMP,
    "created_at": STAMP,
    "updated_at": STAMP,
}
CREATED = {
    "message": "Sub-account created successfully",
    "sub_account": {
        **SUB_ACCOUNT,
        "auth_token": TOKEN,
        "permissions": None,
        "kyc_mode": "personal_use",
        "kyc_calls_blocked": False,
    },
    "auth_credentials": {"auth_id": SA, "auth_token": TOKEN},
    "tokens": {"access_token": "eyJ.a.b", "refresh_token": "eyJ.c.d", "expires_in": 1},
}
RELEASE = {
    "cancel_url": f"/api/v1/account/{MA}/numbers/+917924408805/cancel-release",
    "cooldown_ends_at": "2026-07-21T09:18:26.785758533Z",
    "message": "number release initiated",
    "note": "Number will be in pending_release for 24 hours (cancellable), ...",
    "release_fee": 700.0,
    "status": "pending_release",
}
CALL_UUID = "u0f5b8a2c-3d41-4e7a-9b6c-5a1e2f3d4c5b"
CALL_PLACED = {
    "api_id": "3b9d2f0e-7c41-4a55-8e2b-1f6a9c0d4e77",
    "message": "call fired",
    "request_uuid": CALL_UUID,
}
CDR = {
    "account_id": MA,
    "answer_time": "2026-10-07T04:28:19Z",
    "billsec": 42,
    "bridge_uuid": "b0f5b8a2c-3d41-4e7a-9b6c-5a1e2f3d4c5b",
    "call_direction": "outbound",
    "caller_id_name": "",
    "caller_id_number": "+918000000001",
    "campaign_id": None,
    "carrier_ip": "10.21.4.3",
    "codec": "PCMU",
    "context": "voice-api",
    "cost": 0.45,
    "created_at": "2026-10-07T04:29:02Z",
    "currency": "INR",
    "customer_endpoint": None,
    "destination_number": "+918000000099",
    "duration": 47,
    "end_time": "2026-10-07T04:29:01Z",
    "failure_code": None,
    "failure_reason": None,
    "hangup_cause": "NORMAL_CLEARING",
    "hangup_cause_code": 4000,
    "hangup_cause_name": "Normal Hangup",
    "hangup_disposition": "send_bye",
    "hangup_source": "Caller",
    "id": 18000000,
    "jitter": 0.2,
    "mos": 4.4,
    "network_addr": "10.21.4.3",
    "origination_region": "mumbai",
    "packet_loss": 0.01,
    "progress_time": "2026-10-07T04:28:15Z",
    "region": "ap-south-1",
    "ring_time": 5,
    "sip_call_id": "s0f5b8a2c-3d41-4e7a-9b6c-5a1e2f3d4c5b",
    "sip_user_agent": "Vobiz",
    "start_time": "2026-10-07T04:28:14Z",
    "streaming_cost": 0,
    "terminated_to": None,
    "total_cost": 0.45,
    "trunk_id": None,
    "updated_at": "2026-10-07T04:29:02Z",
    "uuid": CALL_UUID,
}
# An unanswered call, as §9 shows one.
UNANSWERED_CDR = {
    **CDR,
    "answer_time": None,
    "billsec": 0,
    "bridge_uuid": None,
    "cost": 0,
    "total_cost": 0,
    "mos": 0,
    "hangup_cause": "NO_ANSWER",
    "hangup_cause_code": 4100,
    "failure_code": "16",
    "failure_reason": "NO_ANSWER",
    "hangup_disposition": "send_cancel",
    "hangup_source": "Callee",
}
ACCESS_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJhY2Nlc3MifQ.c2lnbmF0dXJlLWE"
REFRESH_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmF0dXJlLXI"
PASSWORD_CHANGED = {
    "message": "Password changed successfully",
    "tokens": {
        "access_token": ACCESS_JWT,
        "refresh_token": REFRESH_JWT,
        "token_type": "bearer",
        "expires_in": 1800,
    },
}
