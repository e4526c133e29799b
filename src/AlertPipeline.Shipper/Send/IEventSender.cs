namespace AlertPipeline.Shipper.Send;

/// <summary>
/// The seam between the shipper and the hub: sends events of one partition key, in order, in as few batches as the
/// hub's size limit allows. <see cref="EventHubSender"/> is the one implementation over the Event Hubs producer.
/// </summary>
public interface IEventSender
{
    /// <summary>
    /// Sends <paramref name="events"/> (all with <paramref name="partitionKey"/>) in order. Never throws for a hub that
    /// is unreachable: the result says how many leading events are settled (sent, or skipped as too large) and why it stopped.
    /// </summary>
    Task<SendResult> SendAsync(string partitionKey, IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken);
}

/// <summary>What one <see cref="IEventSender.SendAsync"/> call did.</summary>
/// <param name="Settled">Leading events whose fate is final: sent in a batch the hub accepted, or skipped as larger than a batch.</param>
/// <param name="Sent">Events the hub accepted.</param>
/// <param name="Batches">Batches the hub accepted.</param>
/// <param name="Bytes">Body bytes the hub accepted.</param>
/// <param name="Oversized">Indexes (below <paramref name="Settled"/>) of events skipped because one alone exceeds the batch size limit.</param>
/// <param name="Failure">Why sending stopped before the end, or null when every event was settled.</param>
public sealed record SendResult(int Settled, int Sent, int Batches, long Bytes, IReadOnlyList<int> Oversized, Exception? Failure)
{
    /// <summary>True when every event given was settled.</summary>
    public bool Complete => Failure is null;
}
