namespace AlertPipeline.Core.Respond.Channels;

/// <summary>The outcome of one delivery attempt.</summary>
/// <param name="Status">Sent, Failed or Skipped.</param>
/// <param name="Detail">Why it failed or was skipped, or a delivery reference.</param>
public readonly record struct ChannelResult(ActionStatus Status, string? Detail)
{
    /// <summary>For a failure: how long the service asked us to wait (HTTP <c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>For a failure: true when trying again would fail the same way (a 400, a revoked key).</summary>
    public bool Permanent { get; init; }

    /// <summary>
    /// For a command that was issued: its nonce, kept on the alert's action so the controller's signed outcome can be
    /// checked against the command it answers.
    /// </summary>
    public string? CommandNonce { get; init; }

    /// <summary>Delivered.</summary>
    public static ChannelResult Sent(string? detail = null) => new(ActionStatus.Sent, detail);

    /// <summary>Attempted and failed; may be retried.</summary>
    public static ChannelResult Failed(string detail) => new(ActionStatus.Failed, detail);

    /// <summary>Held for a human's approval (a command past the fleet cap, or a policy that asks for approval).</summary>
    public static ChannelResult AwaitingApproval(string detail) => new(ActionStatus.AwaitingApproval, detail);

    /// <summary>Deliberately not done.</summary>
    public static ChannelResult Skipped(string detail) => new(ActionStatus.Skipped, detail);
}

/// <summary>
/// One way of acting on an alert: email, Teams, a shutdown command. Implementations do I/O only;
/// message building is pure and tested separately. A channel returns failures as results and does not throw
/// for delivery problems.
/// </summary>
public interface INotificationChannel
{
    /// <summary>The channel name used by the response policy (<c>email</c>, <c>teams</c>, <c>shutdown</c>).</summary>
    string Name { get; }

    /// <summary>Delivers <paramref name="alert"/>.</summary>
    Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken);
}
