using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Escalation;

namespace AlertPipeline.Adapters.Respond.Channels;

/// <summary>
/// A follow-up channel: sends the alert again through the human channels (Teams and email), which render its current
/// state. Registered twice: <c>approval</c> (the held command's Approve / Dismiss request) and <c>escalation</c> (a
/// still-open critical alert). A follow-up whose reason has passed by the time it is sent (the alert was acknowledged,
/// the command decided) is skipped. Sent when at least one channel delivered; a retry then sends to all again, as
/// the outbox keys the follow-up, not each channel under it.
/// </summary>
public sealed class RelayChannel(string name, Func<IEnumerable<INotificationChannel>> channels) : INotificationChannel
{
    /// <summary>The channels a follow-up goes through.</summary>
    public static readonly IReadOnlyList<string> HumanChannels = ["teams", "email"];

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (name == AlertEscalator.Channel && alert.Status != AlertStatus.Open)
        {
            return ChannelResult.Skipped($"the alert was {alert.Status.ToString().ToLowerInvariant()} meanwhile");
        }

        if (name == ApprovalRequest.Channel && alert.ActionFor("shutdown")?.Status != ActionStatus.AwaitingApproval)
        {
            return ChannelResult.Skipped("the held command was decided meanwhile");
        }

        // Resolved at send time: the relays are themselves among the registered channels.
        var targets = channels().Where(c => HumanChannels.Contains(c.Name)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (targets.Count == 0)
        {
            return ChannelResult.Skipped("neither teams nor email is configured");
        }

        var results = new List<(string Name, ChannelResult Result)>(targets.Count);
        foreach (var target in targets)
        {
            results.Add((target.Name, await target.SendAsync(alert, cancellationToken).ConfigureAwait(false)));
        }

        var detail = string.Join("; ", results.Select(r => $"{r.Name}: {r.Result.Status.ToString().ToLowerInvariant()} {r.Result.Detail}".TrimEnd()));
        if (results.Any(r => r.Result.Status == ActionStatus.Sent))
        {
            return ChannelResult.Sent(detail);
        }

        var failures = results.Where(r => r.Result.Status == ActionStatus.Failed).Select(r => r.Result).ToList();
        if (failures.Count == 0)
        {
            return ChannelResult.Skipped(detail);
        }

        return ChannelResult.Failed(detail) with
        {
            RetryAfter = failures.Max(f => f.RetryAfter),
            Permanent = failures.All(f => f.Permanent),
        };
    }
}
