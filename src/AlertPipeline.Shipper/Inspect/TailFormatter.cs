using System.Globalization;
using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Respond;
using Azure.Messaging.EventHubs;

namespace AlertPipeline.Shipper.Inspect;

/// <summary>
/// Renders an event read from a hub as the pipeline sees it: the transport facts, the format detected for its body,
/// every ECS field each parsed event carries, and each rejection with its reason. Telemetry is attacker-controlled,
/// so every value is cleaned and cut (<see cref="SafeText"/>) before it reaches a terminal.
/// </summary>
public sealed class TailFormatter
{
    private const int MaxValueLength = 200;
    private readonly TelemetryIngestor _ingestor = new();
    private readonly EventBatch _batch = new(16);

    /// <summary>The text for <paramref name="data"/> read from partition <paramref name="partitionId"/> of <paramref name="hub"/>.</summary>
    public string Format(string hub, string partitionId, EventData data)
    {
        var body = data.EventBody.ToMemory();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"partition {SafeText.Clean(partitionId, 16)} seq {data.SequenceNumber} enqueued {data.EnqueuedTime.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}");
        if (data.PartitionKey is { } key)
        {
            text.Append(" key ").Append(SafeText.Clean(key, 128));
        }

        text.Append(CultureInfo.InvariantCulture, $" {body.Length} bytes: ");

        var format = _ingestor.Detect(body.Span);
        _batch.Clear();
        _ingestor.Ingest(new TelemetryMessage(body, $"{hub}/{partitionId}", data.SequenceNumber, data.EnqueuedTime), _batch);
        text.Append(format?.Name ?? "unknown format")
            .Append(CultureInfo.InvariantCulture, $", {_batch.Count} event{(_batch.Count == 1 ? "" : "s")}")
            .Append(CultureInfo.InvariantCulture, $", {_batch.Rejects.Count} rejected")
            .AppendLine();

        for (var i = 0; i < _batch.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  [{i}]");
            foreach (var definition in EcsFields.All)
            {
                if (_batch.Has(i, definition.Field))
                {
                    text.Append(' ').Append(definition.Name).Append('=')
                        .Append(SafeText.Clean(new string(_batch.Get(i, definition.Field)), MaxValueLength));
                }
            }

            text.AppendLine();
        }

        foreach (var reject in _batch.Rejects)
        {
            text.Append(CultureInfo.InvariantCulture, $"  rejected #{reject.Position.Record} ({reject.Format}): {reject.Reason}: ")
                .Append(SafeText.Clean(reject.Detail, MaxValueLength))
                .Append(" | ")
                .Append(SafeText.Clean(reject.Excerpt, MaxValueLength))
                .AppendLine();
        }

        return text.ToString();
    }
}
