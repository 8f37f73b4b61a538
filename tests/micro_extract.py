"""The three-subscriber raw extract that validation and reliability tests start from."""

from datetime import date

END = date(2025, 3, 1)
SUBSCRIBERS = [
    dict(subscriber_id=i, activation_date="2024-06-01", contract_type=c, tariff_plan="PRE_BASIC",
         province="Ha Noi", region="north", customer_type="individual", device_type="feature",
         age_band="25-34", acquisition_channel="store")
    for i, c in ((1, "prepaid"), (2, "prepaid"), (3, "postpaid"))
]  # fmt: skip
RECHARGES = [
    dict(subscriber_id=1, ts="2025-01-05 10:00:00", amount_vnd=20_000, channel="scratch_card"),
    dict(subscriber_id=1, ts="2025-02-05 10:00:00", amount_vnd=50_000, channel="e_wallet"),
    dict(subscriber_id=2, ts="2025-01-20 18:30:00", amount_vnd=10_000, channel="airtime_loan"),
]
USAGE = [
    dict(subscriber_id=s, date=d, voice_out_calls=2, voice_out_min=3.5, voice_in_min=1.0,
         sms_out=0, data_mb=120.0, roaming=False, revenue_vnd=3800, dropped_calls=0)
    for s, d in ((1, "2025-01-05"), (1, "2025-01-06"), (3, "2025-02-10"))
]  # fmt: skip
