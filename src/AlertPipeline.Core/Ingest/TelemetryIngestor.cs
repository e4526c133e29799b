using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;

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
        var rejectsBefore = batch.Rejects.Count;
        IngestBody(message, batch);
        if (batch.Rejects.Count > rejectsBefore)
        {
            AddOrigin(message, batch, rejectsBefore);
        }
    }

    /// <summary>
    /// Stamps the message's transport origin on the rejects it produced, here rather than in every format: a dead
    /// letter needs hub, partition, offset and enqueued time to be found and replayed, and only rejects pay for it.
    /// </summary>
    private static void AddOrigin(in TelemetryMessage message, EventBatch batch, int from)
    {
        for (var i = from; i < batch.Rejects.Count; i++)
        {
            batch.ReplaceReject(i, batch.Rejects[i] with
            {
                Hub = message.Hub,
                PartitionId = message.Partition,
                Offset = message.Offset,
                EnqueuedTime = message.EnqueuedTime,
            });
        }
    }

    private void IngestBody(in TelemetryMessage message, EventBatch batch)
    {
        var body = message.Body.Span;
        var format = Detect(body);
        if (format is null)
        {
            var guess = ClosestFormat(body);
            batch.Reject(new SourcePosition(message.Stream, message.Sequence, 0), "unknown", "unknown-format",
                guess is null ? "The body matches no supported telemetry format."
                    : $"The body matches no supported telemetry format; it resembles {guess}.", body);
            if (guess is not null)
            {
                var last = batch.Rejects.Count - 1;
                batch.ReplaceReject(last, batch.Rejects[last] with { FormatGuess = guess });
            }

            return;
        }

        var rejectsBefore = batch.Rejects.Count;
        format.Parse(message, batch);
        if (batch.Rejects.Count > rejectsBefore && format is EcsFormat)
        {
            NameClosestFormat(body, batch, rejectsBefore);
        }
    }

    /// <summary>
    /// The generic ECS format takes any JSON object, so a record of a known product that lost a member its own format
    /// recognises it by lands there; its dead letter names the format it looked like.
    /// </summary>
    private void NameClosestFormat(ReadOnlySpan<byte> body, EventBatch batch, int from)
    {
        var guess = ClosestFormat(body);
        if (guess is null)
        {
            return;
        }

        for (var i = from; i < batch.Rejects.Count; i++)
        {
            var reject = batch.Rejects[i];
            batch.ReplaceReject(i, reject with { FormatGuess = guess, Detail = $"{reject.Detail} The body resembles {guess}." });
        }
    }

    /// <summary>The format whose distinctive member names the body carries most (at least two), or null.</summary>
    public string? ClosestFormat(ReadOnlySpan<byte> body)
    {
        string? best = null;
        var bestScore = 1;
        foreach (var format in _formats)
        {
            var score = format.Resemblance(body);
            if (score > bestScore)
            {
                best = format.Name;
                bestScore = score;
            }
        }

        return best;
    }
}
