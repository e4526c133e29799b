using AlertPipeline.Core.Respond.Outbox;

namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>
/// The follow-up that asks humans to decide a held command. The alert's first email and card may have gone out before
/// the shutdown channel held its command, so they carry no Approve / Dismiss links; when the dispatcher records
/// <see cref="ActionStatus.AwaitingApproval"/> on <c>shutdown</c>, it adds a pending <c>approval</c> action in the same
/// write and the caller queues its message. The <c>approval</c> channel sends the card and email again, now with the
/// links. Keyed alert + <c>approval</c> like every outbox send, so it goes out once.
/// </summary>
public static class ApprovalRequest
{
    /// <summary>The action and channel name of the request.</summary>
    public const string Channel = "approval";

    /// <summary>Adds the pending request to <paramref name="alert"/> when <paramref name="channel"/>'s outcome held a command; true if added.</summary>
    public static bool AddIfHeld(Alert alert, string channel, ActionStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (channel != "shutdown" || status != ActionStatus.AwaitingApproval || alert.ActionFor(Channel) is not null)
        {
            return false;
        }

        alert.Actions.Add(new ActionRecord { Channel = Channel, Status = ActionStatus.Pending, Detail = "asking for approval of the held command", UpdatedAt = now });
        return true;
    }

    /// <summary>The message to queue after <see cref="AddIfHeld"/> was stored, or null when there is nothing to send.</summary>
    public static NotificationMessage? MessageFor(Alert alert, string channel, ActionStatus status)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return channel == "shutdown" && status == ActionStatus.AwaitingApproval
            && alert.ActionFor(Channel) is { Status: ActionStatus.Pending, Attempts: 0 }
            ? new NotificationMessage(alert.AlertId, Channel)
            : null;
    }
}
