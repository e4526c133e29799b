using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Policy;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>Guardrails and lifetime of automatic shutdown.</summary>
public sealed class ShutdownOptions
{
    /// <summary>Default queue when the sandbox names none.</summary>
    public string DefaultQueue { get; set; } = "sandbox-commands";

    /// <summary>How long a command stays valid.</summary>
    public TimeSpan CommandLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most automatic commands per <see cref="CapWindow"/> across the whole fleet (all instances); beyond it a human decides.</summary>
    public int MaxPerHour { get; set; } = 10;

    /// <summary>The fixed window the cap counts in (aligned to UTC multiples of it).</summary>
    public TimeSpan CapWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The kill switch: false stops every automatic command (each alert then records why).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The action automatic commands carry (<c>shutdown</c>, <c>isolate-network</c> or <c>suspend</c>).</summary>
    public string Action { get; set; } = ShutdownActions.Shutdown;
}

/// <summary>
/// Sends a signed, expiring command for the alert's sandbox, behind guardrails, each recorded with its reason on the
/// alert: the kill switch; the sandbox must be in the inventory (no command to an address an attacker chose); a
/// protected sandbox is never stopped automatically (the alert's other channels page a human); a sandbox with an
/// unexpired command gets no second one; and a fleet-wide cap per window, kept in the shared
/// <see cref="IShutdownLedger"/>, stops a false-positive storm from shutting down every GPU node. A rule in dry-run
/// never reaches the channel (the responder records it as dry-run).
/// </summary>
public sealed class ShutdownChannel(
    IShutdownCommandQueue queue,
    CommandSigner signer,
    SandboxSnapshotProvider sandboxes,
    ShutdownOptions options,
    TimeProvider? time = null,
    IShutdownLedger? ledger = null) : INotificationChannel
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly IShutdownLedger _ledger = ledger ?? new InMemoryShutdownLedger();

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>The shutdown channel's name, as action records carry it.</summary>
    public const string ChannelName = "shutdown";

    /// <summary>The response policy whose shutdown mode (automatic, approval, off) applies; automatic for all when null.</summary>
    public ResponsePolicyProvider? Policies { get; init; }

    /// <summary>The incidents, so the policy is resolved with the alert's incident level when that is higher.</summary>
    public Incidents.IIncidentStore? Incidents { get; init; }

    /// <inheritdoc />
    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!options.Enabled)
        {
            return ChannelResult.Skipped("kill switch: automatic commands are off (Shutdown__Enabled=false)");
        }

        var snapshot = await sandboxes.GetAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = snapshot.Find(alert.SandboxId);
        if (sandbox is null)
        {
            return ChannelResult.Skipped("guardrail: sandbox not in inventory");
        }

        if (sandbox.Protected)
        {
            return ChannelResult.Skipped("guardrail: sandbox is protected; never stopped automatically, a human must decide");
        }

        // The policy is asked before the ledger, so a held command takes neither a standing order nor a place under the cap.
        if (Policies is not null)
        {
            // Resolved with the incident's level when it is higher: a combination-critical incident acts as critical does.
            var incident = Incidents is null || alert.IncidentId is null ? null : await Incidents.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);
            var level = Respond.Incidents.Incident.PolicyLevel(alert, incident);

            switch ((await Policies.GetAsync(cancellationToken).ConfigureAwait(false)).Resolve(level, alert.RuleId, sandbox.Team, sandbox.Environment).Shutdown)
            {
                case ShutdownMode.Off:
                    return ChannelResult.Skipped("policy: shutdown off");
                case ShutdownMode.Approval:
                    return ChannelResult.AwaitingApproval("policy: shutdown needs a human's approval");
            }
        }

        var now = _time.GetUtcNow();
        var order = new ShutdownCommand
        {
            CommandId = CommandIdFor(alert.AlertId),
            Action = options.Action,
            SandboxId = sandbox.Id,
            AlertId = alert.AlertId,
            RuleId = alert.RuleId,
            Reason = SafeText.Clean(alert.Title, 200),
            IssuedAt = now,
            ExpiresAt = now + options.CommandLifetime,
        };

        // The standing order and the cap are taken together in the shared ledger, so two alerts for one sandbox,
        // handled by two instances at once, still produce one command.
        var reservation = new ShutdownOrder(sandbox.Id, alert.AlertId, order.CommandId, now, order.ExpiresAt);
        var decision = await _ledger.TryReserveAsync(reservation, options.MaxPerHour, options.CapWindow, cancellationToken).ConfigureAwait(false);
        switch (decision.Reservation)
        {
            case ShutdownReservation.AlreadyOrdered:
                var standing = decision.Standing!;
                return ChannelResult.Skipped($"already ordered: command {standing.CommandId} for alert {standing.AlertId}, valid until {standing.ExpiresAt:O}");
            case ShutdownReservation.CapReached:
                return ChannelResult.AwaitingApproval($"guardrail: {options.MaxPerHour} automatic commands in this {options.CapWindow} window across the fleet; awaiting a human's approval");
        }

        return await SignAndQueueAsync(order, reservation, sandbox.CommandQueue, $"{decision.WindowCount} of {options.MaxPerHour} in this window", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Issues the command a human approved for <paramref name="alert"/> through the same signing and queue as an
    /// automatic one. It is counted in the ledger's window but not limited by the fleet cap (a human decided, and a
    /// protected sandbox may be stopped this way); the kill switch, a sandbox missing from the inventory, and an
    /// unexpired command for the same sandbox still stop it.
    /// </summary>
    public async Task<ChannelResult> IssueApprovedAsync(Alert alert, string approver, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!options.Enabled)
        {
            return ChannelResult.Skipped("kill switch: automatic commands are off (Shutdown__Enabled=false); the approval issued nothing");
        }

        var snapshot = await sandboxes.GetAsync(cancellationToken).ConfigureAwait(false);
        if (snapshot.Find(alert.SandboxId) is not { } sandbox)
        {
            return ChannelResult.Skipped("guardrail: sandbox not in inventory");
        }

        var now = _time.GetUtcNow();
        var order = new ShutdownCommand
        {
            CommandId = CommandIdFor(alert.AlertId),
            Action = options.Action,
            SandboxId = sandbox.Id,
            AlertId = alert.AlertId,
            RuleId = alert.RuleId,
            Reason = SafeText.Clean($"approved by {approver}: {alert.Title}", 200),
            IssuedAt = now,
            ExpiresAt = now + options.CommandLifetime,
        };
        var reservation = new ShutdownOrder(sandbox.Id, alert.AlertId, order.CommandId, now, order.ExpiresAt);
        var decision = await _ledger.TryReserveAsync(reservation, int.MaxValue, options.CapWindow, cancellationToken).ConfigureAwait(false);
        if (decision.Reservation == ShutdownReservation.AlreadyOrdered)
        {
            var standing = decision.Standing!;
            return ChannelResult.Skipped($"already ordered: command {standing.CommandId} for alert {standing.AlertId}, valid until {standing.ExpiresAt:O}");
        }

        return await SignAndQueueAsync(order, reservation, sandbox.CommandQueue, "approved past the fleet cap", cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChannelResult> SignAndQueueAsync(ShutdownCommand order, ShutdownOrder reservation, string? sandboxQueue, string note, CancellationToken cancellationToken)
    {
        var command = signer.Sign(order);
        var queueName = sandboxQueue ?? options.DefaultQueue;
        try
        {
            await queue.EnqueueAsync(queueName, CommandSigner.ToJson(command), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A command that never left does not count against the cap, nor stand in for a retry.
            await _ledger.ReleaseAsync(reservation, options.CapWindow, CancellationToken.None).ConfigureAwait(false);

            return ChannelResult.Failed($"queue {queueName}: {ex.GetType().Name}: {SafeText.Log(ex.Message)}");
        }

        return ChannelResult.Sent($"{command.Action} command {command.CommandId} on {queueName}, expires {command.ExpiresAt:O} ({note})")
            with { CommandNonce = command.Nonce };
    }

    /// <summary>The command id for an alert: stable, so the agent can drop a redelivered command.</summary>
    public static string CommandIdFor(string alertId)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("shutdown\n" + alertId))[..16]);
}
