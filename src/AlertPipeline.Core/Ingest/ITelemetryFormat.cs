using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest;

/// <summary>
/// One telemetry format: recognises a message body and parses it into normalized events.
/// Add a format with one file under <c>Ingest/Formats</c> and one line in <see cref="TelemetryFormats"/>.
/// </summary>
public interface ITelemetryFormat
{
    /// <summary>Stable, lower-case name used in dead letters, metrics and docs (e.g. <c>azure-firewall</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Cheap recognition from the start of the body (no full parse). Bodies are attacker-controlled:
    /// a false positive is fine, since <see cref="Parse"/> rejects what it cannot read.
    /// </summary>
    bool CanParse(ReadOnlySpan<byte> body);

    /// <summary>
    /// Parses every event in <paramref name="message"/> into <paramref name="batch"/>. A malformed record is
    /// rejected through <see cref="EventBatch.Reject"/> and parsing continues with the next record; this method
    /// does not throw on bad input.
    /// </summary>
    void Parse(in TelemetryMessage message, EventBatch batch);

    /// <summary>
    /// How many of the format's distinctive member names <paramref name="body"/> carries (0: none). Used only to
    /// name the closest format in the dead letter of a body no format could read.
    /// </summary>
    int Resemblance(ReadOnlySpan<byte> body) => 0;
}
