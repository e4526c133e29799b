using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Cli.Replay;

/// <summary>Renders the email and Teams card a replay would send, with the same builders the real channels use.</summary>
internal static class MessagePreviews
{
    /// <summary>The email's subject and plain-text part (the HTML part carries the same content).</summary>
    public static string Email(Alert alert)
    {
        var email = EmailBuilder.Build(alert);
        return $"Subject: {email.Subject}\n\n{email.Text.TrimEnd()}";
    }

    /// <summary>The Teams webhook payload, exactly as it would be posted.</summary>
    public static string TeamsCard(Alert alert) => AdaptiveCardBuilder.Build(alert);
}
