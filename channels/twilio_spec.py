"""What SMS and WhatsApp declare alike, both being Twilio's Messages API: an inbound and a status webhook,
each signed with the account's auth token and parsed by the adapter, the reply as TwiML in the inbound
webhook's answer, and the status callback URL filled in from the relay's public URL. What every Twilio
channel (voice too) declares alike: the auth token as its secret, a receipt pushed after each send and
Twilio's 1600-character body limit."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from channels.spec import Capabilities, ChannelSpec, Webhook, WebhookCall, lazy

Section = TypeVar("Section")
SECRET_KEYS = ("auth_token",)  # signs every webhook and authenticates every request: never in the config file
MAX_BODY = 1600  # Twilio refuses a longer body (21617)


def capabilities(**more: Any) -> Capabilities:
    """A Twilio channel's: status callbacks after each send, bodies up to `MAX_BODY`, and `more`."""
    return Capabilities(delivery_receipts=True, max_length=MAX_BODY, **more)


def _signed(parse: Callable[..., Any]) -> Callable[[WebhookCall], Any]:
    """`parse(auth token, signed URL, form, X-Twilio-Signature)` as a webhook parser."""
    return lambda call: parse(call.settings.auth_token.get_secret_value(), call.url, call.form,
                              call.headers.get("x-twilio-signature"))


def twiml_answer(reply: str | None) -> tuple[str, str]:
    return "application/xml", lazy("channels.sms", "twiml_reply")(reply)


def webhooks(adapter: str, inbound_path: str, status_path: str) -> tuple[Webhook, Webhook]:
    """The two webhooks of a Twilio messaging adapter module (its `parse_inbound` and `parse_status`)."""
    return (Webhook(inbound_path, "inbound", _signed(lazy(adapter, "parse_inbound")), twiml_answer),
            Webhook(status_path, "status", _signed(lazy(adapter, "parse_status"))))


def status_callback(status_path: str) -> Callable[[Any, str], Any]:
    """A spec's `prepare`: a section without `status_callback_url` gets the relay's own status webhook."""

    def prepare(section: Any, public_url: str) -> Any:
        if section.status_callback_url is not None:
            return section
        return section.model_copy(update={"status_callback_url": f"{public_url}{status_path}"})

    return prepare


def messaging(adapter: str, channel_class: str, inbound_path: str, status_path: str, **declared: Any) -> ChannelSpec:
    """The spec of a Twilio Messages API channel whose adapter is `adapter.channel_class`: built on first use,
    its module's webhooks, the status callback URL, the auth token kept secret and Twilio's capabilities
    (unless `declared` widens them), with the rest as `declared`."""
    declared.setdefault("capabilities", capabilities())
    return ChannelSpec(build=lazy(adapter, channel_class), secret_keys=SECRET_KEYS,
                       webhooks=webhooks(adapter, inbound_path, status_path), prepare=status_callback(status_path),
                       **declared)
