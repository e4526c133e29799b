namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>
/// Where notifications wait to be sent once their alert is committed: a Storage queue read by a queue-triggered
/// function in Azure, or <see cref="InlineNotificationOutbox"/> in the embedded mode (CLI, tests).
/// </summary>
public interface INotificationOutbox
{
    /// <summary>Queues <paramref name="message"/>, invisible for <paramref name="delay"/>.</summary>
    Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>
/// The embedded-mode twin of the queue: dispatches at once, in the caller's flow, and retries a retryable failure
/// at once (there is no queue to wait in, so delays are not waited). The dispatcher is resolved lazily because it
/// does not depend on the outbox, but the responder depends on both.
/// </summary>
public sealed class InlineNotificationOutbox(Func<NotificationDispatcher> dispatcher) : INotificationOutbox
{
    private readonly List<NotificationMessage> _messages = [];

    /// <summary>Every message queued, retries included, in order.</summary>
    public IReadOnlyList<NotificationMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <inheritdoc />
    public async Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        for (var current = message; current is not null;)
        {
            lock (_messages)
            {
                _messages.Add(current);
            }

            var outcome = await dispatcher().DispatchAsync(current, cancellationToken).ConfigureAwait(false);

            // A deferral means another dispatcher in this process is sending it now: that one records the outcome.
            current = outcome.Kind == DispatchKind.Retry ? current with { Delivery = current.Delivery + 1 } : outcome.FollowUp;
        }
    }
}
