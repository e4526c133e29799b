using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Heartbeat;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Escalation;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Shutdown;

namespace AlertPipeline.Adapters;

/// <summary>How a deployment supplies an app setting.</summary>
public enum AppSettingKind
{
    /// <summary>A plain value the deployment sets: a name, a service URI, a tuning value.</summary>
    Value,

    /// <summary>A secret: in Azure a Key Vault reference, never a literal in a template or a checked-in file.</summary>
    Secret,

    /// <summary>An open family <c>Name__&lt;member&gt;</c> (placeholders, levels); the deployment passes the members it uses.</summary>
    Family,

    /// <summary>Read by the app but never set in Azure: a local connection string, a test endpoint override, an optional identity.</summary>
    LocalOnly,
}

/// <summary>One app setting the Function App reads.</summary>
/// <param name="Key">The configuration key (sections separated by <c>:</c>, e.g. <c>Channels:Email:ApiKey</c>).</param>
/// <param name="Kind">How a deployment supplies it.</param>
public sealed record AppSetting(string Key, AppSettingKind Kind)
{
    /// <summary>The app setting (environment variable) name: <c>:</c> becomes <c>__</c>, e.g. <c>Channels__Email__ApiKey</c>.</summary>
    public string Name => Key.Replace(":", "__", StringComparison.Ordinal);
}

/// <summary>
/// Every app setting the Function App (and its host) reads, in one list. The composition, the options binding and the
/// trigger attributes use the constants here, and option properties are named with <c>nameof</c>, so a rename in the
/// code changes this list; tests/AlertPipeline.Infra.Tests compares it with the app settings of infra/main.bicep.
/// To add a setting, add one line to <see cref="All"/> (and the same name to infra/modules/functionapp.bicep).
/// </summary>
public static class AppSettings
{
    /// <summary>Section bound to <see cref="PipelineOptions"/>.</summary>
    public const string PipelineSection = "Pipeline";

    /// <summary>Section bound to <see cref="ResponderOptions"/>.</summary>
    public const string ResponderSection = "Responder";

    /// <summary>Section bound to <see cref="ShutdownOptions"/>; also holds the signing key and its id.</summary>
    public const string ShutdownSection = "Shutdown";

    /// <summary>Section bound to <see cref="CorrelationOptions"/>.</summary>
    public const string CorrelationSection = "Correlation";

    /// <summary>Section bound to <see cref="HeartbeatOptions"/>.</summary>
    public const string HeartbeatSection = "Heartbeat";

    /// <summary>Section of the response policy: one key per alert level, channels as a comma-separated value.</summary>
    public const string ResponseLevelsSection = "Response:Levels";

    /// <summary>Base64 HMAC key that signs shutdown commands (a secret).</summary>
    public const string ShutdownSigningKey = ShutdownSection + ":SigningKey";

    /// <summary>Key id carried in shutdown commands.</summary>
    public const string ShutdownKeyId = ShutdownSection + ":KeyId";

    /// <summary>Retired signing keys still accepted when verifying (<c>Shutdown__Keys__&lt;keyId&gt;</c>).</summary>
    public const string ShutdownKeys = ShutdownSection + ":Keys";

    /// <summary>Controller result keys the pipeline verifies outcomes with (<c>Controller__ResultKeys__&lt;keyId&gt;</c>, base64, one per host).</summary>
    public const string ControllerResultKeys = "Controller:ResultKeys";

    /// <summary>Section bound to <see cref="ActionLinkOptions"/>; also holds the link signing key and its id.</summary>
    public const string ActionsSection = "Actions";

    /// <summary>Base64 HMAC key that signs action links (a secret; not the command key, which every controller holds).</summary>
    public const string ActionsSigningKey = ActionsSection + ":SigningKey";

    /// <summary>Key id carried in action links.</summary>
    public const string ActionsKeyId = ActionsSection + ":KeyId";

    /// <summary>Retired link signing keys still accepted (<c>Actions__Keys__&lt;keyId&gt;</c>).</summary>
    public const string ActionsKeys = ActionsSection + ":Keys";

    /// <summary>Section bound to <see cref="Core.Enrich.Attribution.AttributionOptions"/>.</summary>
    public const string AttributionSection = "Attribution";

    /// <summary>Section bound to <see cref="EscalationOptions"/>.</summary>
    public const string EscalationSection = "Escalation";

    /// <summary>Section bound to <see cref="IncidentOptions"/>.</summary>
    public const string IncidentsSection = "Incidents";

    /// <summary>The SendGrid API key (Key Vault).</summary>
    public const string SendGridApiKey = "SendGrid:ApiKey";

    /// <summary>The SendGrid API host; the EU region has its own.</summary>
    public const string SendGridBaseUrl = "SendGrid:BaseUrl";

    /// <summary>The notification sender address.</summary>
    public const string NotificationsFrom = "Notifications:From";

    /// <summary>The notification sender's display name.</summary>
    public const string NotificationsFromName = "Notifications:FromName";

    /// <summary>Comma-separated notification recipients.</summary>
    public const string NotificationsTo = "Notifications:To";

    /// <summary>The Teams Workflows webhook URL (Key Vault).</summary>
    public const string TeamsWebhookUrl = "Teams:WebhookUrl";

    /// <summary>Event Hubs connection of both triggers (the trigger attributes' <c>Connection</c>).</summary>
    public const string EventHubConnection = "EventHubConnection";

    /// <summary>Name of the sandbox telemetry hub.</summary>
    public const string SandboxTelemetryHubName = "SandboxTelemetryHubName";

    /// <summary>Name of the firewall log hub.</summary>
    public const string FirewallLogsHubName = "FirewallLogsHubName";

    /// <summary>The pipeline's consumer group on both hubs.</summary>
    public const string EventHubConsumerGroup = "EventHubConsumerGroup";

    /// <summary>The Functions host's own storage connection.</summary>
    public const string HostStorage = "AzureWebJobsStorage";

    /// <summary>The list: one line per setting.</summary>
    public static IReadOnlyList<AppSetting> All { get; } =
    [
        // Functions host: storage with the managed identity, Application Insights with Entra ID.
        new(HostStorage, AppSettingKind.LocalOnly),
        new($"{HostStorage}:blobServiceUri", AppSettingKind.Value),
        new($"{HostStorage}:queueServiceUri", AppSettingKind.Value),
        new($"{HostStorage}:tableServiceUri", AppSettingKind.Value),
        new($"{HostStorage}:credential", AppSettingKind.Value),
        new("APPLICATIONINSIGHTS_CONNECTION_STRING", AppSettingKind.Value),
        new("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", AppSettingKind.Value),

        // Event Hubs triggers.
        new(EventHubConnection, AppSettingKind.LocalOnly),
        new($"{EventHubConnection}:fullyQualifiedNamespace", AppSettingKind.Value),
        new(SandboxTelemetryHubName, AppSettingKind.Value),
        new(FirewallLogsHubName, AppSettingKind.Value),
        new(EventHubConsumerGroup, AppSettingKind.Value),

        // The pipeline's tables and queues.
        new(StorageNames.Setting, AppSettingKind.LocalOnly),
        new($"{StorageNames.Setting}:{StorageClients.TableServiceUriKey}", AppSettingKind.Value),
        new($"{StorageNames.Setting}:{StorageClients.QueueServiceUriKey}", AppSettingKind.Value),
        new($"{StorageNames.Setting}:{StorageClients.BlobServiceUriKey}", AppSettingKind.Value),
        new($"{StorageNames.Setting}:{StorageClients.ClientIdKey}", AppSettingKind.LocalOnly),

        // Tuning (options classes).
        new($"{PipelineSection}:{nameof(PipelineOptions.AlertBucket)}", AppSettingKind.Value),
        new($"{PipelineSection}:{nameof(PipelineOptions.RuleRefreshInterval)}", AppSettingKind.Value),
        new($"{PipelineSection}:{nameof(PipelineOptions.InventoryRefreshInterval)}", AppSettingKind.Value),
        new($"{PipelineSection}:{nameof(PipelineOptions.PolicyRefreshInterval)}", AppSettingKind.Value),
        new($"{PipelineSection}:{nameof(PipelineOptions.IndicatorRefreshInterval)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.MaxAttempts)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.MaxConcurrencyRetries)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.RetryBaseDelay)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.MaxRetryDelay)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.SendLease)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.MaxPerChannelPerWindow)}", AppSettingKind.Value),
        new($"{ResponderSection}:{nameof(ResponderOptions.RateWindow)}", AppSettingKind.Value),
        new($"{CorrelationSection}:{nameof(CorrelationOptions.Lateness)}", AppSettingKind.Value),
        new($"{CorrelationSection}:{nameof(CorrelationOptions.MaxEntriesPerGroup)}", AppSettingKind.Value),
        new($"{CorrelationSection}:{nameof(CorrelationOptions.RetentionGrace)}", AppSettingKind.Value),
        new($"{CorrelationSection}:{nameof(CorrelationOptions.MaxConcurrencyRetries)}", AppSettingKind.Value),
        new($"{HeartbeatSection}:{nameof(HeartbeatOptions.SilenceAfter)}", AppSettingKind.Value),
        new(SigmaPlaceholderConfiguration.Section, AppSettingKind.Family),
        new(ResponseLevelsSection, AppSettingKind.Family),

        // Email (SendGrid).
        // The documented names; the older Channels__Email__*/Channels__Teams__* aliases still work but the template sets these.
        new(SendGridApiKey, AppSettingKind.Secret),
        new(SendGridBaseUrl, AppSettingKind.LocalOnly), // the EU host is set through extraAppSettings
        new(NotificationsFrom, AppSettingKind.Value),
        new(NotificationsFromName, AppSettingKind.Value),
        new(NotificationsTo, AppSettingKind.Value),
        new(TeamsWebhookUrl, AppSettingKind.Secret),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.ApiKey)}", AppSettingKind.LocalOnly),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.From)}", AppSettingKind.LocalOnly),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.FromName)}", AppSettingKind.LocalOnly),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.To)}", AppSettingKind.LocalOnly),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.TemplateId)}", AppSettingKind.Value),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.RunbookBaseUrl)}", AppSettingKind.Value),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.Timeout)}", AppSettingKind.Value),
        new($"{SendGridChannelOptions.Section}:{nameof(SendGridChannelOptions.Host)}", AppSettingKind.LocalOnly),

        // Teams.
        new($"{TeamsChannelOptions.Section}:{nameof(TeamsChannelOptions.WebhookUrl)}", AppSettingKind.LocalOnly),
        new($"{TeamsChannelOptions.Section}:{nameof(TeamsChannelOptions.RunbookBaseUrl)}", AppSettingKind.Value),
        new($"{TeamsChannelOptions.Section}:{nameof(TeamsChannelOptions.Timeout)}", AppSettingKind.Value),

        // Shutdown commands.
        new(ShutdownSigningKey, AppSettingKind.Secret),
        new(ShutdownKeyId, AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.DefaultQueue)}", AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.CommandLifetime)}", AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.MaxPerHour)}", AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.CapWindow)}", AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.Enabled)}", AppSettingKind.Value),
        new($"{ShutdownSection}:{nameof(ShutdownOptions.Action)}", AppSettingKind.Value),
        new(ShutdownKeys, AppSettingKind.Family),
        new(ControllerResultKeys, AppSettingKind.Family),

        // Action links (Acknowledge / Approve / Dismiss) and quiet escalation.
        new(ActionsSigningKey, AppSettingKind.Secret),
        new(ActionsKeyId, AppSettingKind.Value),
        new($"{ActionsSection}:{nameof(ActionLinkOptions.BaseUrl)}", AppSettingKind.Value),
        new($"{ActionsSection}:{nameof(ActionLinkOptions.AcknowledgeLifetime)}", AppSettingKind.Value),
        new($"{ActionsSection}:{nameof(ActionLinkOptions.ApproveLifetime)}", AppSettingKind.Value),
        new(ActionsKeys, AppSettingKind.Family),
        new($"{EscalationSection}:{nameof(EscalationOptions.After)}", AppSettingKind.Value),
        new($"{EscalationSection}:{nameof(EscalationOptions.MaxCount)}", AppSettingKind.Value),
        new($"{EscalationSection}:{nameof(EscalationOptions.ScanLimit)}", AppSettingKind.Value),

        // Attribution of firewall and sensor records to the process and tool call behind them.
        new($"{AttributionSection}:{nameof(Core.Enrich.Attribution.AttributionOptions.Tolerance)}", AppSettingKind.Value),
        // Incidents.
        new($"{IncidentsSection}:{nameof(IncidentOptions.Window)}", AppSettingKind.Value),
        new($"{IncidentsSection}:{nameof(IncidentOptions.MaxTimelineEntries)}", AppSettingKind.Value),
        new($"{IncidentsSection}:{nameof(IncidentOptions.Combinations)}", AppSettingKind.Family),
    ];
}
