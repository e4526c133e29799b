using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Sends one queued notification (queue <see cref="StorageNames.NotificationQueue"/>): the dispatcher records the
/// outcome on the alert; a retryable failure goes back on the queue with its backoff delay, and a send claimed by
/// another invocation is looked at again when that claim lapses. Only storage failures throw, leaving the message to
/// the host's own redelivery.
/// </summary>
public sealed partial class DispatchNotification(NotificationDispatcher dispatcher, INotificationOutbox outbox, ILogger<DispatchNotification> logger)
{
    /// <summary>Dispatches <paramref name="message"/>.</summary>
    [Function(nameof(DispatchNotification))]
    public async Task RunAsync(
        [QueueTrigger(StorageNames.NotificationQueue, Connection = StorageNames.Setting)] string message,
        CancellationToken cancellationToken)
    {
        var notification = NotificationMessage.TryParse(message, out var reason);
        if (notification is null)
        {
            // Retrying cannot make it parse; the host would only move it to its poison queue after five tries.
            LogMalformed(reason, SafeText.Log(message));
            return;
        }

        var outcome = await dispatcher.DispatchAsync(notification, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind is DispatchKind.Retry or DispatchKind.Deferred)
        {
            await outbox.EnqueueAsync(notification with { Delivery = notification.Delivery + 1 }, outcome.Delay, cancellationToken).ConfigureAwait(false);
        }

        if (outcome.FollowUp is { } followUp)
        {
            // A held command's approval request: stored on the alert by the dispatch, queued here.
            await outbox.EnqueueAsync(followUp, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        LogDispatched(notification.AlertId, notification.Channel, notification.Delivery, outcome.Kind, outcome.Delay);
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Notification message dropped: {Reason}: {Message}")]
    private partial void LogMalformed(string reason, string message);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Notification {AlertId}/{Channel} delivery {Delivery}: {Kind} (next in {Delay})")]
    private partial void LogDispatched(string alertId, string channel, int delivery, DispatchKind kind, TimeSpan delay);
}
