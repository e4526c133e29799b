using System.Collections;
using System.Globalization;
using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Functions.EventHubs;

/// <summary>Where a batch came from, read from the trigger's binding data.</summary>
/// <param name="Hub">The hub's name.</param>
/// <param name="PartitionId">The partition all events of the batch came from.</param>
/// <param name="Sequences">Per-event sequence numbers, or null when the host sent none.</param>
/// <param name="EnqueuedTimes">Per-event enqueued times, or null.</param>
/// <param name="Offsets">Per-event offsets, or null; kept for diagnostics and dead letters.</param>
internal sealed record EventHubBatchSource(
    string Hub,
    string PartitionId,
    IReadOnlyList<long>? Sequences,
    IReadOnlyList<DateTimeOffset>? EnqueuedTimes,
    IReadOnlyList<string>? Offsets)
{
    /// <summary>The stream name of every message of the batch: sequence numbers are per partition, so the partition is part of it.</summary>
    public string Stream { get; } = $"{Hub}/{PartitionId}";
}

/// <summary>
/// Turns an Event Hubs trigger batch (bodies plus the host's binding data) into pipeline messages. The host sends
/// batch metadata as parallel arrays (<c>SequenceNumberArray</c>, <c>EnqueuedTimeUtcArray</c>, <c>OffsetArray</c>)
/// and the partition as JSON (<c>PartitionContext</c>); depending on the host's and worker's capabilities an array
/// arrives either as a typed collection or as JSON text, so both are read.
/// </summary>
internal static class EventHubBatch
{
    /// <summary>Binding data key of the partition context (JSON with <c>PartitionId</c> and <c>EventHubName</c>).</summary>
    public const string PartitionContextKey = "PartitionContext";

    /// <summary>Binding data key of the per-event sequence numbers.</summary>
    public const string SequenceNumberArrayKey = "SequenceNumberArray";

    /// <summary>Binding data key of the per-event enqueued times (UTC).</summary>
    public const string EnqueuedTimeUtcArrayKey = "EnqueuedTimeUtcArray";

    /// <summary>Binding data key of the per-event offsets.</summary>
    public const string OffsetArrayKey = "OffsetArray";

    /// <summary>Partition name used when the host sent no partition context (never expected from a real host).</summary>
    public const string UnknownPartition = "unknown";

    /// <summary>Reads the batch's source; <paramref name="fallbackHub"/> names the hub when the partition context does not.</summary>
    public static EventHubBatchSource ReadSource(IReadOnlyDictionary<string, object?> bindingData, string fallbackHub)
    {
        var (hub, partition) = ReadPartitionContext(Get(bindingData, PartitionContextKey));
        return new EventHubBatchSource(
            string.IsNullOrEmpty(hub) ? fallbackHub : hub,
            string.IsNullOrEmpty(partition) ? UnknownPartition : partition,
            ReadArray<long>(Get(bindingData, SequenceNumberArrayKey), TryLong),
            ReadArray<DateTimeOffset>(Get(bindingData, EnqueuedTimeUtcArrayKey), TryTime),
            ReadArray<string>(Get(bindingData, OffsetArrayKey), TryText));
    }

    /// <summary>
    /// One message per body, in order. Each takes its event's sequence number (its index in the batch if the host
    /// sent none) and enqueued time (<paramref name="now"/> if none). An array whose length differs from the batch's
    /// cannot be matched to the bodies, so it is ignored whole rather than mixed with fallbacks.
    /// </summary>
    public static TelemetryMessage[] ToMessages(IReadOnlyList<byte[]> bodies, EventHubBatchSource source, DateTimeOffset now)
    {
        var messages = new TelemetryMessage[bodies.Count];
        var sequences = source.Sequences?.Count == messages.Length ? source.Sequences : null;
        var times = source.EnqueuedTimes?.Count == messages.Length ? source.EnqueuedTimes : null;
        var offsets = source.Offsets?.Count == messages.Length ? source.Offsets : null;
        for (var i = 0; i < messages.Length; i++)
        {
            var sequence = sequences is null ? i : sequences[i];
            var enqueued = times is null ? now : times[i];

            // Hub, partition and offset travel with the message only so a dead letter can say where to find and replay it.
            messages[i] = new TelemetryMessage(bodies[i] ?? [], source.Stream, sequence, enqueued, source.Hub, source.PartitionId, offsets?[i]);
        }

        return messages;
    }

    private static object? Get(IReadOnlyDictionary<string, object?> data, string key)
    {
        if (data.TryGetValue(key, out var value))
        {
            return value;
        }

        // Casing varies between host versions and samples (PartitionContext, partitionContext): match either.
        foreach (var pair in data)
        {
            if (string.Equals(pair.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }

    private static (string? Hub, string? Partition) ReadPartitionContext(object? value)
    {
        switch (value)
        {
            case string json when !string.IsNullOrWhiteSpace(json):
                try
                {
                    using var document = JsonDocument.Parse(json);
                    return ReadPartitionContext(document.RootElement);
                }
                catch (JsonException)
                {
                    return (null, null);
                }

            case JsonElement element:
                return ReadPartitionContext(element);
            case IReadOnlyDictionary<string, object?> map:
                return (ToText(Get(map, "EventHubName")), ToText(Get(map, "PartitionId")));
            default:
                return (null, null);
        }
    }

    private static (string? Hub, string? Partition) ReadPartitionContext(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, null);
        }

        string? hub = null, partition = null;
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, "EventHubName", StringComparison.OrdinalIgnoreCase))
            {
                hub = ToText(property.Value);
            }
            else if (string.Equals(property.Name, "PartitionId", StringComparison.OrdinalIgnoreCase))
            {
                partition = ToText(property.Value);
            }
        }

        return (hub, partition);
    }

    private delegate bool TryConvert<T>(object? value, out T result);

    /// <summary>Reads an array sent as JSON text, a JSON element or a typed collection; null if any element is unreadable.</summary>
    private static List<T>? ReadArray<T>(object? value, TryConvert<T> convert)
    {
        IEnumerable? items = value switch
        {
            null => null,
            string json => ParseJsonArray(json),
            JsonElement { ValueKind: JsonValueKind.Array } element => element.EnumerateArray().Select(e => (object?)e).ToList(),
            IEnumerable enumerable => enumerable,
            _ => null,
        };
        if (items is null)
        {
            return null;
        }

        var list = new List<T>();
        foreach (var item in items)
        {
            // One unreadable element makes the whole array untrustworthy (positions would shift), so fall back wholesale.
            if (!convert(item, out var converted))
            {
                return null;
            }

            list.Add(converted);
        }

        return list;
    }

    private static List<object?>? ParseJsonArray(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Select(e => (object?)e.Clone()).ToList()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryLong(object? value, out long result)
    {
        switch (value)
        {
            case long l: result = l; return true;
            case int i: result = i; return true;
            case JsonElement { ValueKind: JsonValueKind.Number } e: return e.TryGetInt64(out result);
            case JsonElement { ValueKind: JsonValueKind.String } e: return TryLong(e.GetString(), out result);
            case string s: return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out result);
            default: result = 0; return false;
        }
    }

    private static bool TryTime(object? value, out DateTimeOffset result)
    {
        switch (value)
        {
            case DateTimeOffset t:
                result = t.ToUniversalTime();
                return true;
            case DateTime t:
                // The host's times are UTC; an unspecified kind is UTC too.
                result = new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t).ToUniversalTime();
                return true;
            case JsonElement { ValueKind: JsonValueKind.String } e:
                return TryTime(e.GetString(), out result);
            case string s:
                return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out result);
            default:
                result = default;
                return false;
        }
    }

    private static bool TryText(object? value, out string result)
    {
        result = ToText(value)!;
        return result is not null;
    }

    private static string? ToText(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetRawText(),
        long or int => Convert.ToString(value, CultureInfo.InvariantCulture),
        _ => null,
    };
}
