"""Generative model providers behind LangChain chat models.

Every call runs with a timeout and a token budget and leaves a `ModelCall` audit row. A
provider that times out or fails raises `ProviderUnavailable`, and callers fall back to a
person; no customer waits on a dead model.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from copilot.models import ModelCall

logger = logging.getLogger(__name__)

# Model calls run on these threads so that a hung provider cannot hold the caller past the
# timeout. NOTE: a call that hangs keeps its thread until the provider's own client gives up.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="model-call")


class ProviderUnavailable(Exception):
    """The provider timed out or failed; the caller hands off to a person."""

    def __init__(self, message: str, *, outcome: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def provider_label() -> str:
    return f"{settings.SUPPORTDESK_LLM_PROVIDER}:{settings.SUPPORTDESK_LLM_MODEL}"


def build_chat_model() -> BaseChatModel | None:
    """Return the configured chat model, or None when the desk runs without one."""
    provider = settings.SUPPORTDESK_LLM_PROVIDER
    if not provider:
        return None
    if not settings.SUPPORTDESK_LLM_MODEL:
        raise ValueError(f"SUPPORTDESK_LLM_PROVIDER={provider!r} needs SUPPORTDESK_LLM_MODEL, the model name to call")
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        options: dict[str, Any] = {
            "model": settings.SUPPORTDESK_LLM_MODEL,
            "timeout": settings.SUPPORTDESK_LLM_TIMEOUT,
            "max_retries": 0,
            "max_tokens": settings.SUPPORTDESK_LLM_MAX_TOKENS,
            "temperature": 0,
            # OpenAI-compatible local servers accept any key.
            "api_key": settings.SUPPORTDESK_LLM_API_KEY or "not-needed",
        }
        if settings.SUPPORTDESK_LLM_BASE_URL:
            options["base_url"] = settings.SUPPORTDESK_LLM_BASE_URL
        return ChatOpenAI(**options)
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.SUPPORTDESK_LLM_MODEL,
            base_url=settings.SUPPORTDESK_LLM_BASE_URL or None,
            num_predict=settings.SUPPORTDESK_LLM_MAX_TOKENS,
            temperature=0,
            client_kwargs={"timeout": settings.SUPPORTDESK_LLM_TIMEOUT},
        )
    raise ValueError(
        f"SUPPORTDESK_LLM_PROVIDER={provider!r} is not supported; use 'openai', 'ollama' or leave it empty"
    )


def token_counts(message: BaseMessage) -> tuple[int | None, int | None]:
    usage = getattr(message, "usage_metadata", None) or {}
    return usage.get("input_tokens"), usage.get("output_tokens")


@dataclass(frozen=True)
class ModelReply:
    text: str
    call_id: int


def invoke_chat_model(model: BaseChatModel, messages: list[BaseMessage], *, feature: str) -> ModelReply:
    """Run one chat completion within SUPPORTDESK_LLM_TIMEOUT seconds."""
    timeout = settings.SUPPORTDESK_LLM_TIMEOUT
    model_name = str(getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__)
    started = time.perf_counter()
    future = _executor.submit(model.invoke, messages)
    try:
        response = future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        record_call(feature, model_name, started, ModelCall.Outcome.TIMEOUT, error=f"no answer within {timeout} s")
        logger.warning("model call timed out feature=%s model=%s timeout_s=%s", feature, model_name, timeout)
        raise ProviderUnavailable(f"{model_name} gave no answer within {timeout} s", outcome="timeout") from None
    except Exception as error:  # noqa: BLE001 - any provider failure must fall back to a person
        record_call(feature, model_name, started, ModelCall.Outcome.ERROR, error=repr(error)[:500])
        logger.warning("model call failed feature=%s model=%s error=%r", feature, model_name, error)
        raise ProviderUnavailable(f"{model_name} failed: {error}", outcome="error") from error

    input_tokens, output_tokens = token_counts(response)
    call = record_call(
        feature, model_name, started, ModelCall.Outcome.OK, input_tokens=input_tokens, output_tokens=output_tokens
    )
    return ModelReply(str(response.content), call.pk)


def mark_rejected(reply: ModelReply, reason: str) -> None:
    """Record that the reply was thrown away, so the audit shows the model's failure rate."""
    ModelCall.objects.filter(pk=reply.call_id).update(outcome=ModelCall.Outcome.REJECTED, error=reason[:500])


def record_call(
    feature: str,
    model_name: str,
    started: float,
    outcome: str,
    *,
    error: str = "",
    input_tokens: int | None = None,
    output_tokens: int | None = None,
) -> ModelCall:
    return ModelCall.objects.create(
        feature=feature,
        provider=settings.SUPPORTDESK_LLM_PROVIDER or "custom",
        model=model_name,
        latency_ms=int((time.perf_counter() - started) * 1000),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        outcome=outcome,
        error=error,
    )
