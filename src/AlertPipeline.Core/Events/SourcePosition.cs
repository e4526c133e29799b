namespace AlertPipeline.Core.Events;

/// <summary>
/// Where an event came from: the stream (hub/partition or file), the message's sequence number in it,
/// and the record's index inside the message body. Used for dead letters and for de-duplicating
/// redelivered events, so it must be stable across redeliveries.
/// </summary>
/// <param name="Stream">Stable stream name, e.g. <c>sandbox-telemetry/3</c> or a file path. Shared per message, not allocated per event.</param>
/// <param name="Sequence">The message's sequence number (Event Hubs) or line/message index (files).</param>
/// <param name="Record">The event's index within the message body.</param>
public readonly record struct SourcePosition(string Stream, long Sequence, int Record)
{
    /// <inheritdoc />
    public override string ToString() => $"{Stream}#{Sequence}.{Record}";
}
