namespace AlertPipeline.Adapters.Respond.Channels.Teams;

/// <summary>
/// Settings of the Teams channel, section <c>Channels:Teams</c> (app setting <c>Channels__Teams__WebhookUrl</c>, …).
/// The webhook URL carries its own signature, so it is a secret: a Key Vault reference in Azure, never logged.
/// </summary>
public sealed class TeamsChannelOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Channels:Teams";

    /// <summary>The Teams Workflows (Power Automate) "post to a channel when a webhook request is received" URL.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>How long one post may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Base URL of the runbooks; the card links to <c>{RunbookBaseUrl}/{ruleId}</c>. Optional.</summary>
    public string? RunbookBaseUrl { get; set; }

    /// <summary>True when a webhook URL is set.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(WebhookUrl);
}
