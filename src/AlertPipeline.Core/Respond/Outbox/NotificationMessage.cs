using System.Text.Json;

namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>
/// One queued notification: which alert, which channel. It carries no alert content: the dispatcher reads the
/// committed alert, so a message can never send something the alert store does not hold.
/// </summary>
/// <param name="AlertId">The alert.</param>
/// <param name="Channel">The channel name (<c>email</c>, <c>teams</c>, <c>shutdown</c>).</param>
/// <param name="Delivery">1 for the first try; each re-queue adds one (informational: attempts are counted on the alert).</param>
public sealed record NotificationMessage(string AlertId, string Channel, int Delivery = 1)
{
    /// <summary>The idempotency key of the send: alert id and channel.</summary>
    public string Key => AlertId + ":" + Channel;

    /// <summary>The queue message text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AlertJson.Options);

    /// <summary>Parses a queue message; null (with the reason) when it is not one of ours.</summary>
    public static NotificationMessage? TryParse(string? json, out string reason)
    {
        NotificationMessage? message = null;
        try
        {
            message = string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<NotificationMessage>(json, AlertJson.Options);
        }
        catch (JsonException)
        {
            message = null;
        }

        if (message is null || string.IsNullOrEmpty(message.AlertId) || string.IsNullOrEmpty(message.Channel))
        {
            reason = "malformed notification message";
            return null;
        }

        reason = "ok";
        return message;
    }
}
