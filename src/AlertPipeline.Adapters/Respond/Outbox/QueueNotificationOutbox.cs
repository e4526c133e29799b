using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Outbox;
using Azure.Storage.Queues;

namespace AlertPipeline.Adapters.Respond.Outbox;

/// <summary>
/// The outbox on an Azure Storage queue (default <see cref="StorageNames.NotificationQueue"/>), read by the
/// <c>DispatchNotification</c> queue-triggered function. A delay is the message's initial invisibility, which the
/// service caps at seven days (our retry delays are capped far below that). The client must encode messages as
/// Base64, as the Functions queue trigger expects (see <see cref="StorageClients.CreateQueueServiceClient"/>).
/// </summary>
public sealed class QueueNotificationOutbox : INotificationOutbox
{
    private static readonly TimeSpan MaxVisibilityDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    private readonly QueueClient _queue;
    private readonly CreateOnce _created;

    /// <summary>Queues on <paramref name="queueName"/> of <paramref name="service"/>.</summary>
    public QueueNotificationOutbox(QueueServiceClient service, string queueName = StorageNames.NotificationQueue)
    {
        ArgumentNullException.ThrowIfNull(service);
        _queue = service.GetQueueClient(queueName);
        _created = new CreateOnce(ct => _queue.CreateIfNotExistsAsync(cancellationToken: ct));
    }

    /// <inheritdoc />
    public async Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var visibility = delay <= TimeSpan.Zero ? (TimeSpan?)null : delay > MaxVisibilityDelay ? MaxVisibilityDelay : delay;
        await _queue.SendMessageAsync(message.ToJson(), visibility, timeToLive: null, cancellationToken).ConfigureAwait(false);
    }
}
