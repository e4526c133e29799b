using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest;

/// <summary>
/// Turns transport messages into normalized events, detecting the format per message body
/// (a batch may mix formats). Unrecognised bodies are rejected with a reason; the rest flows.
/// </summary>
public sealed class TelemetryIngestor
{
    private readonly ITelemetryFormat[] _formats;

    /// <summary>Creates an ingestor over <paramref name="formats"/> (default: <see cref="TelemetryFormats.All"/>).</summary>
    public TelemetryIngestor(IReadOnlyList<ITelemetryFormat>? formats = null) => _formats = [.. formats ?? TelemetryFormats.All];

    /// <summary>The format that would parse <paramref name="body"/>, or null.</summary>
    public ITelemetryFormat? Detect(ReadOnlySpan<byte> body)
    {
        // An array, not the interface: enumerating an IReadOnlyList allocates an enumerator per message.
        foreach (var format in _formats)
        {
            if (format.CanParse(body))
            {
                return format;
            }
        }

        return null;
    }

    /// <summary>Parses one message into <paramref name="batch"/>.</summary>
    public void Ingest(in TelemetryMessage message, EventBatch batch)
    {
        var body = message.Body.Span;
        var format = Detect(body);
        if (format is null)
        {
            batch.Reject(new SourcePosition(message.Stream, message.Sequence, 0), "unknown", "unknown-format",
                "The body matches no supported telemetry format.", body);
            return;
        }

        format.Parse(message, batch);
    }
}
