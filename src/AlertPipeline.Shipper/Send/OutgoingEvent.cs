namespace AlertPipeline.Shipper.Send;

/// <summary>One event on its way to the hub: the body as it will be sent and the partition key it goes under.</summary>
/// <param name="PartitionKey">The sandbox id (or the fallback key); one sandbox's events share a partition and so keep their order.</param>
/// <param name="Body">The UTF-8 body, one telemetry record.</param>
/// <param name="Source">Where it came from (a file path, <c>stdin</c>, <c>heartbeat</c>), for reports only; shared, not per event.</param>
/// <param name="Offset">The record's byte offset in a file, or its line number on stdin; for reports only.</param>
public readonly record struct OutgoingEvent(string PartitionKey, ReadOnlyMemory<byte> Body, string Source, long Offset)
{
    /// <summary><c>source@offset</c>, for a report line.</summary>
    public override string ToString() => $"{Source}@{Offset}";
}
