namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>An automatic command about to be issued, as the ledger keeps it.</summary>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="AlertId">The alert that orders it.</param>
/// <param name="CommandId">The command's id.</param>
/// <param name="IssuedAt">When it is issued (decides its cap window).</param>
/// <param name="ExpiresAt">Until when it stands: no second command for the sandbox before.</param>
public sealed record ShutdownOrder(string SandboxId, string AlertId, string CommandId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>The ledger's answer.</summary>
public enum ShutdownReservation
{
    /// <summary>Go ahead: the sandbox's standing order and a place under the fleet cap are taken.</summary>
    Reserved,

    /// <summary>The sandbox already has an unexpired command (<see cref="LedgerDecision.Standing"/>).</summary>
    AlreadyOrdered,

    /// <summary>The fleet-wide cap of the current window is used up: a human must approve.</summary>
    CapReached,
}

/// <summary>A reservation decision, with what it was decided on.</summary>
/// <param name="Reservation">The decision.</param>
/// <param name="Standing">For <see cref="ShutdownReservation.AlreadyOrdered"/>: the order that stands.</param>
/// <param name="WindowCount">Automatic commands counted in the current window (after this one, if reserved).</param>
public readonly record struct LedgerDecision(ShutdownReservation Reservation, ShutdownOrder? Standing, int WindowCount);

/// <summary>
/// The fleet-wide memory of automatic commands, shared by every instance: one standing order per sandbox (so several
/// rules firing on one escape, or two instances handling it, order one command) and a count per fixed window for the
/// cap. Table <c>shutdownledger</c> under ETags in Azure, memory in the embedded mode; both pass one contract test.
/// </summary>
public interface IShutdownLedger
{
    /// <summary>Takes the sandbox's standing order and a place under <paramref name="cap"/> per <paramref name="window"/>, or says why not.</summary>
    Task<LedgerDecision> TryReserveAsync(ShutdownOrder order, int cap, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Gives back a reservation whose command never left (the queue failed).</summary>
    Task ReleaseAsync(ShutdownOrder order, TimeSpan window, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the ledger.</summary>
public sealed class InMemoryShutdownLedger : IShutdownLedger
{
    private readonly Dictionary<string, ShutdownOrder> _standing = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _windows = [];
    private readonly Lock _gate = new();

    /// <summary>The start of the fixed window holding <paramref name="at"/>.</summary>
    public static long WindowOf(DateTimeOffset at, TimeSpan window) => at.UtcTicks - (at.UtcTicks % Math.Max(1, window.Ticks));

    /// <inheritdoc />
    public Task<LedgerDecision> TryReserveAsync(ShutdownOrder order, int cap, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        lock (_gate)
        {
            var key = WindowOf(order.IssuedAt, window);
            _windows.TryGetValue(key, out var count);
            if (_standing.TryGetValue(order.SandboxId, out var standing) && standing.ExpiresAt > order.IssuedAt)
            {
                return Task.FromResult(new LedgerDecision(ShutdownReservation.AlreadyOrdered, standing, count));
            }

            if (count >= cap)
            {
                return Task.FromResult(new LedgerDecision(ShutdownReservation.CapReached, null, count));
            }

            _windows[key] = count + 1;
            _standing[order.SandboxId] = order;
            return Task.FromResult(new LedgerDecision(ShutdownReservation.Reserved, null, count + 1));
        }
    }

    /// <inheritdoc />
    public Task ReleaseAsync(ShutdownOrder order, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        lock (_gate)
        {
            var key = WindowOf(order.IssuedAt, window);
            if (_windows.TryGetValue(key, out var count) && count > 0)
            {
                _windows[key] = count - 1;
            }

            if (_standing.TryGetValue(order.SandboxId, out var standing) && standing.CommandId == order.CommandId)
            {
                _standing.Remove(order.SandboxId);
            }
        }

        return Task.CompletedTask;
    }
}
