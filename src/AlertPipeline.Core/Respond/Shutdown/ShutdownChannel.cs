using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond.Channels;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>Guardrails and lifetime of automatic shutdown.</summary>
public sealed class ShutdownOptions
{
    /// <summary>Default queue when the sandbox names none.</summary>
    public string DefaultQueue { get; set; } = "sandbox-commands";

    /// <summary>How long a command stays valid.</summary>
    public TimeSpan CommandLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most automatic shutdowns per rolling hour from one instance; beyond it a human decides.</summary>
    public int MaxPerHour { get; set; } = 10;
}

/// <summary>
/// Sends a signed, expiring shutdown command for the alert's sandbox, behind guardrails: the sandbox must be in
/// the inventory (no command to an address an attacker chose), must not be protected, a sandbox with an unexpired
/// command gets no second one, and a fleet-wide hourly cap stops a false-positive storm from shutting down every GPU
/// node. The standing orders and the cap are per instance (see the closing limits in docs).
/// </summary>
public sealed class ShutdownChannel(
    IShutdownCommandQueue queue,
    CommandSigner signer,
    SandboxSnapshotProvider sandboxes,
    ShutdownOptions options,
    TimeProvider? time = null) : INotificationChannel
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly List<DateTimeOffset> _recent = [];

    // One standing order per sandbox: several critical rules firing on one escape need one shutdown, not one each.
    private readonly Dictionary<string, ShutdownCommand> _standing = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "shutdown";

    /// <inheritdoc />
    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var snapshot = await sandboxes.GetAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = snapshot.Find(alert.SandboxId);
        if (sandbox is null)
        {
            return ChannelResult.Skipped("guardrail: sandbox not in inventory");
        }

        if (sandbox.Protected)
        {
            return ChannelResult.Skipped("guardrail: sandbox is protected");
        }

        var now = _time.GetUtcNow();
        var order = new ShutdownCommand
        {
            CommandId = CommandIdFor(alert.AlertId),
            SandboxId = sandbox.Id,
            AlertId = alert.AlertId,
            RuleId = alert.RuleId,
            Reason = SafeText.Clean(alert.Title, 200),
            IssuedAt = now,
            ExpiresAt = now + options.CommandLifetime,
        };

        // The standing order and the cap are checked and taken under one lock, so two alerts for one sandbox
        // arriving together still produce one command.
        lock (_recent)
        {
            if (_standing.TryGetValue(sandbox.Id, out var standing) && standing.ExpiresAt > now)
            {
                return ChannelResult.Skipped($"already ordered: command {standing.CommandId} for alert {standing.AlertId}, valid until {standing.ExpiresAt:O}");
            }

            _recent.RemoveAll(sent => now - sent > TimeSpan.FromHours(1));

            if (_recent.Count >= options.MaxPerHour)
            {
                return ChannelResult.Skipped($"guardrail: {options.MaxPerHour} shutdowns in the last hour; a human must decide");
            }

            _recent.Add(now);
            _standing[sandbox.Id] = order;
        }

        var command = signer.Sign(order);
        var queueName = sandbox.CommandQueue ?? options.DefaultQueue;
        try
        {
            await queue.EnqueueAsync(queueName, CommandSigner.ToJson(command), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lock (_recent)
            {
                // A command that never left does not count against the cap, nor stand in for a retry.
                _recent.Remove(now);
                _standing.Remove(sandbox.Id);
            }

            return ChannelResult.Failed($"queue {queueName}: {ex.GetType().Name}: {SafeText.Log(ex.Message)}");
        }

        return ChannelResult.Sent($"command {command.CommandId} on {queueName}, expires {command.ExpiresAt:O}");
    }

    /// <summary>The command id for an alert: stable, so the agent can drop a redelivered command.</summary>
    public static string CommandIdFor(string alertId)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("shutdown\n" + alertId))[..16]);
}
