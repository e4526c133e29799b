using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;

namespace AlertPipeline.Shipper.Send;

/// <summary>
/// <see cref="IEventSender"/> over an <see cref="EventHubProducerClient"/>: fills an <see cref="EventDataBatch"/>
/// (which knows the hub's real size limit), sends it when the next event does not fit, and starts a new one.
/// An event that does not fit an empty batch can never be sent; it is skipped and reported.
/// </summary>
public sealed class EventHubSender(EventHubProducerClient producer) : IEventSender
{
    /// <inheritdoc />
    public async Task<SendResult> SendAsync(string partitionKey, IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        var options = new CreateBatchOptions { PartitionKey = partitionKey };
        int settled = 0, sent = 0, batches = 0, batchStart = 0;
        long bytes = 0, batchBytes = 0;
        List<int>? oversized = null;
        EventDataBatch? batch = null;
        try
        {
            batch = await producer.CreateBatchAsync(options, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < events.Count; i++)
            {
                var data = new EventData(events[i].Body);
                if (batch.TryAdd(data))
                {
                    batchBytes += events[i].Body.Length;
                    continue;
                }

                if (batch.Count > 0)
                {
                    await producer.SendAsync(batch, cancellationToken).ConfigureAwait(false);
                    sent += batch.Count;
                    batches++;
                    bytes += batchBytes;
                    settled = i;
                    batch.Dispose();
                    batch = null;
                    batch = await producer.CreateBatchAsync(options, cancellationToken).ConfigureAwait(false);
                    batchBytes = 0;
                    batchStart = i;
                    if (batch.TryAdd(data))
                    {
                        batchBytes += events[i].Body.Length;
                        continue;
                    }
                }

                // Alone in an empty batch and still too large: no batch will ever take it.
                (oversized ??= []).Add(i);
                if (batchStart == i)
                {
                    // Nothing is waiting in the batch before it, so it is settled now.
                    batchStart = i + 1;
                    settled = i + 1;
                }
            }

            if (batch.Count > 0)
            {
                await producer.SendAsync(batch, cancellationToken).ConfigureAwait(false);
                sent += batch.Count;
                batches++;
                bytes += batchBytes;
            }

            settled = events.Count;
            return new SendResult(settled, sent, batches, bytes, (IReadOnlyList<int>?)oversized ?? [], null);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Skipped events inside the unsent batch are reported again when that batch is retried.
            var reported = oversized?.Where(index => index < settled).ToList() ?? [];
            return new SendResult(settled, sent, batches, bytes, reported, ex);
        }
        finally
        {
            batch?.Dispose();
        }
    }
}
