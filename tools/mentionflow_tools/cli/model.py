"""`mentionflow model adapters list | show BRAND | reset BRAND`: the brands' classifier adapters.

The adapters are read the way every classify replica builds them: by folding the whole
labels.corrected topic with the same code (mentionflow.kafka.adapter_feed). A reset is
itself an event on that topic: classify replicas apply it as they read it, and a rebuild
after a restart replays it in order, so a reset is never undone by a restart.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid
from typing import Annotated, Any

import typer

app = typer.Typer(help="The classifier's per-brand adapters (learnt from label corrections).",
                  no_args_is_help=True)
adapters_app = typer.Typer(help="Inspect and reset per-brand adapters.", no_args_is_help=True)
app.add_typer(adapters_app, name="adapters")

BootstrapOption = Annotated[str | None, typer.Option(
    help="Kafka bootstrap servers; default MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS")]
PrefixOption = Annotated[str | None, typer.Option(
    help="physical topic prefix; default MENTIONFLOW_KAFKA__TOPIC_PREFIX")]


def _kafka(bootstrap_servers: str | None, topic_prefix: str | None) -> Any:
    from mentionflow.settings import KafkaSettings

    overrides: dict[str, Any] = {}
    if bootstrap_servers:
        overrides["bootstrap_servers"] = bootstrap_servers
    if topic_prefix is not None:
        overrides["topic_prefix"] = topic_prefix
    return KafkaSettings(**overrides)


def _read(kafka: Any) -> Any:
    from mentionflow.kafka.adapter_feed import AdapterFeed

    return asyncio.run(AdapterFeed(kafka).read_once())


@adapters_app.command("list")
def list_adapters(bootstrap_servers: BootstrapOption = None, topic_prefix: PrefixOption = None) -> None:
    """One line per brand with an adapter: version, corrections, resets, token entries,
    remembered corrected texts."""
    adapters = _read(_kafka(bootstrap_servers, topic_prefix))
    typer.echo("brand\tversion\tcorrections\tresets\ttokens\tremembered")
    for brand_id in sorted(adapters.brands):
        a = adapters.brands[brand_id]
        typer.echo(f"{brand_id}\t{a.version}\t{a.corrections}\t{a.resets}\t{len(a.weights)}\t{len(a.remembered)}")


@adapters_app.command()
def show(brand: Annotated[str, typer.Argument(help="brand id")],
         top: Annotated[int, typer.Option(min=1, help="strongest token weights per decision")] = 10,
         bootstrap_servers: BootstrapOption = None, topic_prefix: PrefixOption = None) -> None:
    """The brand's adapter as JSON: version, sizes, biases, strongest token weights."""
    adapter = _read(_kafka(bootstrap_servers, topic_prefix)).adapter(brand)
    if adapter is None:
        typer.echo(f"no adapter for brand {brand!r}: no correction of it was ever made", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(adapter.summary(top), indent=2, ensure_ascii=False))


@adapters_app.command()
def reset(brand: Annotated[str, typer.Argument(help="brand id")],
          by: Annotated[str | None, typer.Option(help="who resets (audit); default: the OS user")] = None,
          bootstrap_servers: BootstrapOption = None, topic_prefix: PrefixOption = None) -> None:
    """Forget what the brand's corrections taught: produces a reset event on labels.corrected."""
    from mentionflow.events import make_envelope
    from mentionflow.events.labels_corrected import LabelCorrected
    from mentionflow.kafka.producer import make_producer, send_event

    kafka = _kafka(bootstrap_servers, topic_prefix)
    event = LabelCorrected(correction_id=str(uuid.uuid4()), brand_id=brand, kind="reset",
                           corrected_by=f"cli:{by or getpass.getuser()}")

    async def produce() -> None:
        producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-cli-model")
        await producer.start()
        try:
            envelope = make_envelope("labels.corrected", event, brand_id=brand, correlation_id=event.correction_id)
            await send_event(producer, kafka, "labels.corrected", envelope)
        finally:
            await producer.stop()

    asyncio.run(produce())
    typer.echo(f"reset of {brand} produced ({event.correction_id}); classify applies it as it reads it")
