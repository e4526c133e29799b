namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>
/// The nonces of action links already used, shared by every instance, so a link works once even when two clicks
/// reach two instances. Table <c>actionnonces</c> in Azure (a row per nonce; adding an existing row fails), memory
/// in the embedded mode; both pass one contract test.
/// </summary>
public interface IActionNonceStore
{
    /// <summary>Marks <paramref name="link"/>'s nonce used at <paramref name="at"/>; false when it was used already.</summary>
    Task<bool> TryConsumeAsync(ActionLink link, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="link"/>'s nonce was used (the confirmation page says so up front).</summary>
    Task<bool> IsUsedAsync(ActionLink link, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the nonce store.</summary>
public sealed class InMemoryActionNonceStore : IActionNonceStore
{
    private readonly HashSet<(string AlertId, string Nonce)> _used = [];
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public Task<bool> TryConsumeAsync(ActionLink link, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        lock (_gate)
        {
            return Task.FromResult(_used.Add((link.AlertId, link.Nonce)));
        }
    }

    /// <inheritdoc />
    public Task<bool> IsUsedAsync(ActionLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        lock (_gate)
        {
            return Task.FromResult(_used.Contains((link.AlertId, link.Nonce)));
        }
    }
}
