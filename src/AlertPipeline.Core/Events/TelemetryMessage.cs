namespace AlertPipeline.Core.Events;

/// <summary>One message body as delivered by the transport (an Event Hub event, a file line group).</summary>
/// <param name="Body">The raw UTF-8 body. May hold one JSON object, a JSON array, JSON lines, or a format envelope.</param>
/// <param name="Stream">Stable stream name (hub/partition, or file path).</param>
/// <param name="Sequence">Sequence number of the message within its stream.</param>
/// <param name="EnqueuedTime">When the transport accepted the message; used only where an event has no time of its own.</param>
/// <param name="Hub">The Event Hub the message came from, or null for other transports. Shared per batch.</param>
/// <param name="Partition">The Event Hubs partition id, or null. Shared per batch.</param>
/// <param name="Offset">The message's Event Hubs offset, or null. Carried only into dead letters.</param>
public readonly record struct TelemetryMessage(
    ReadOnlyMemory<byte> Body, string Stream, long Sequence, DateTimeOffset EnqueuedTime,
    string? Hub = null, string? Partition = null, string? Offset = null);
