namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>A notification that was given up on: the message, why, and when.</summary>
/// <param name="Message">The message as last dispatched.</param>
/// <param name="Reason">The last failure (already cleaned for logs).</param>
/// <param name="At">When it was given up.</param>
public sealed record PoisonedNotification(NotificationMessage Message, string Reason, DateTimeOffset At);

/// <summary>
/// Where notifications go after their last try, for an operator to inspect and replay. The alert shows the failure
/// too; this keeps the message itself. Table <c>notificationpoison</c> in Azure, memory in the embedded mode.
/// </summary>
public interface INotificationPoisonStore
{
    /// <summary>Keeps <paramref name="poisoned"/>; writing the same (alert, channel) again replaces it.</summary>
    Task AddAsync(PoisonedNotification poisoned, CancellationToken cancellationToken);

    /// <summary>The poisoned notifications of <paramref name="alertId"/>.</summary>
    Task<IReadOnlyList<PoisonedNotification>> ListAsync(string alertId, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the poison store.</summary>
public sealed class InMemoryNotificationPoisonStore : INotificationPoisonStore
{
    private readonly Dictionary<string, PoisonedNotification> _byKey = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task AddAsync(PoisonedNotification poisoned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poisoned);
        lock (_byKey)
        {
            _byKey[poisoned.Message.Key] = poisoned;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PoisonedNotification>> ListAsync(string alertId, CancellationToken cancellationToken)
    {
        lock (_byKey)
        {
            IReadOnlyList<PoisonedNotification> list = _byKey.Values
                .Where(p => p.Message.AlertId == alertId)
                .OrderBy(p => p.Message.Channel, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(list);
        }
    }
}
