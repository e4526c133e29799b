using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Ingest;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Respond.Channels;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Adapters.Respond.Outbox;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Heartbeat;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Escalation;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Policy;
using AlertPipeline.Core.Respond.Shutdown;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Adapters;

/// <summary>The one composition of the pipeline, used by the Function app and the CLI alike.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the whole pipeline from configuration. Stores and channels registered before this call
    /// (e.g. the CLI's in-memory twins) win, because every registration here is a TryAdd.
    /// </summary>
    public static IServiceCollection AddAlertPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        var pipelineOptions = configuration.GetSection(AppSettings.PipelineSection).Get<PipelineOptions>() ?? new PipelineOptions();
        services.TryAddSingleton(pipelineOptions);
        services.TryAddSingleton(configuration.GetSection(AppSettings.ResponderSection).Get<ResponderOptions>() ?? new ResponderOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.ShutdownSection).Get<ShutdownOptions>() ?? new ShutdownOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.CorrelationSection).Get<CorrelationOptions>() ?? new CorrelationOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.HeartbeatSection).Get<HeartbeatOptions>() ?? new HeartbeatOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.ActionsSection).Get<ActionLinkOptions>() ?? new ActionLinkOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.EscalationSection).Get<EscalationOptions>() ?? new EscalationOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.AttributionSection).Get<AttributionOptions>() ?? new AttributionOptions());
        services.TryAddSingleton(configuration.GetSection(AppSettings.IncidentsSection).Get<IncidentOptions>() ?? new IncidentOptions());

        // Stores: Azure Storage when configured, else in memory (embedded mode, tests, replay).
        if (StorageClients.IsTableStorageConfigured(configuration))
        {
            services.TryAddSingleton(_ => StorageClients.CreateTableServiceClient(configuration));
            services.TryAddSingleton<IRuleStore>(sp => new TableRuleStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IRuleHistory>(sp => new TableRuleHistory(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IAlertStore>(sp => new TableAlertStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<ICorrelationStateStore>(sp => new TableCorrelationStateStore(sp.GetRequiredService<TableServiceClient>()));
            // Payloads too large for a row go to blobs when the account's blob endpoint is configured.
            var blobs = StorageClients.IsBlobStorageConfigured(configuration)
                ? StorageClients.CreateBlobServiceClient(configuration).GetBlobContainerClient(StorageNames.DeadLettersContainer) : null;
            services.TryAddSingleton<IDeadLetterStore>(sp => new TableDeadLetterStore(
                sp.GetRequiredService<TableServiceClient>(), blobs, time: sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton<ISandboxInventory>(sp => new TableSandboxInventory(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IIndicatorStore>(sp => new TableIndicatorStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<INotificationPoisonStore>(sp => new TableNotificationPoisonStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IShutdownLedger>(sp => new TableShutdownLedger(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IRateCounter>(sp => new TableRateCounter(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IResponsePolicyStore>(sp => new TableResponsePolicyStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<ISandboxActivityStore>(sp => new TableSandboxActivityStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IAuditLog>(sp => new TableAuditLog(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IActionNonceStore>(sp => new TableActionNonceStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<ILineageStore>(sp => new TableLineageStore(sp.GetRequiredService<TableServiceClient>()));
            services.TryAddSingleton<IIncidentStore>(sp => new TableIncidentStore(sp.GetRequiredService<TableServiceClient>()));
        }

        if (StorageClients.IsQueueStorageConfigured(configuration))
        {
            services.TryAddSingleton(_ => StorageClients.CreateQueueServiceClient(configuration));
            services.TryAddSingleton<IShutdownCommandQueue>(sp => new QueueShutdownCommandQueue(sp.GetRequiredService<QueueServiceClient>()));
            services.TryAddSingleton<INotificationOutbox>(sp => new QueueNotificationOutbox(sp.GetRequiredService<QueueServiceClient>()));
        }

        services.TryAddSingleton<IRuleStore, InMemoryRuleStore>();
        services.TryAddSingleton<IRuleHistory, InMemoryRuleHistory>();
        services.TryAddSingleton<IAlertStore, InMemoryAlertStore>();
        services.TryAddSingleton<ICorrelationStateStore, InMemoryCorrelationStateStore>();
        services.TryAddSingleton<IDeadLetterStore>(sp => new InMemoryDeadLetterStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ISandboxInventory>(_ => new InMemorySandboxInventory([]));
        services.TryAddSingleton<IIndicatorStore>(_ => new InMemoryIndicatorStore([]));
        services.TryAddSingleton<IShutdownCommandQueue, InMemoryShutdownCommandQueue>();
        services.TryAddSingleton<INotificationPoisonStore, InMemoryNotificationPoisonStore>();
        services.TryAddSingleton<IShutdownLedger, InMemoryShutdownLedger>();
        services.TryAddSingleton<IRateCounter, InMemoryRateCounter>();
        services.TryAddSingleton<IResponsePolicyStore, InMemoryResponsePolicyStore>();
        services.TryAddSingleton<ISandboxActivityStore, InMemorySandboxActivityStore>();
        services.TryAddSingleton<IActionNonceStore, InMemoryActionNonceStore>();
        services.TryAddSingleton<ILineageStore, InMemoryLineageStore>();
        services.TryAddSingleton<IAuditLog, InMemoryAuditLog>();
        services.TryAddSingleton<IIncidentStore, InMemoryIncidentStore>();
        services.TryAddSingleton(sp => new IncidentTracker(
            sp.GetRequiredService<IIncidentStore>(), sp.GetRequiredService<IncidentOptions>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<IncidentTracker>>(), sp.GetRequiredService<ResponderOptions>()));
        services.TryAddSingleton(sp => new AuditTrail(sp.GetRequiredService<IAuditLog>(), sp.GetRequiredService<ILogger<AuditTrail>>()));

        // Without a queue the notifications are dispatched inline, in the flow that committed the alert.
        services.TryAddSingleton<INotificationOutbox>(sp => new InlineNotificationOutbox(sp.GetRequiredService<NotificationDispatcher>));

        services.TryAddSingleton(_ => new TelemetryIngestor());
        var placeholders = SigmaPlaceholderConfiguration.FromConfiguration(configuration);
        services.TryAddSingleton(sp => new RuleManager(
            sp.GetRequiredService<IRuleStore>(), sp.GetRequiredService<IRuleHistory>(), sp.GetRequiredService<TelemetryIngestor>(),
            sp.GetRequiredService<TimeProvider>(), placeholders));
        services.TryAddSingleton(sp => new RuleSetProvider(
            sp.GetRequiredService<IRuleStore>(), pipelineOptions.RuleRefreshInterval, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RuleSetProvider>>(), placeholders));
        services.TryAddSingleton(sp => new SandboxSnapshotProvider(
            sp.GetRequiredService<ISandboxInventory>(), pipelineOptions.InventoryRefreshInterval, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new IndicatorSetProvider(
            sp.GetRequiredService<IIndicatorStore>(), pipelineOptions.IndicatorRefreshInterval, sp.GetRequiredService<TimeProvider>()));

        var shutdownKey = configuration[AppSettings.ShutdownSigningKey];
        if (!string.IsNullOrEmpty(shutdownKey))
        {
            var retiredKeys = configuration.GetSection(AppSettings.ShutdownKeys).GetChildren().Where(c => c.Value is not null)
                .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
            services.TryAddSingleton(sp => new CommandSigner(shutdownKey, configuration[AppSettings.ShutdownKeyId] ?? "k1", sp.GetRequiredService<TimeProvider>(), retiredKeys));
            services.TryAddSingleton(sp => new ShutdownChannel(
                sp.GetRequiredService<IShutdownCommandQueue>(), sp.GetRequiredService<CommandSigner>(),
                sp.GetRequiredService<SandboxSnapshotProvider>(), sp.GetRequiredService<ShutdownOptions>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IShutdownLedger>())
            {
                Policies = sp.GetRequiredService<ResponsePolicyProvider>(),
                Incidents = sp.GetRequiredService<IIncidentStore>(),
            });
            services.AddSingleton<INotificationChannel>(sp => sp.GetRequiredService<ShutdownChannel>());
        }

        AddActionLinks(services, configuration);

        AddConfiguredChannels(services, configuration);

        var levels = configuration.GetSection(AppSettings.ResponseLevelsSection).GetChildren().ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
        services.TryAddSingleton(levels.Count == 0 ? ResponsePolicy.Default : ResponsePolicy.FromSettings(levels, ResponsePolicy.KnownChannels));
        services.TryAddSingleton(sp => new ResponsePolicyProvider(
            sp.GetRequiredService<IResponsePolicyStore>(), sp.GetRequiredService<ResponsePolicy>(), pipelineOptions.PolicyRefreshInterval,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ResponsePolicyProvider>>()));

        services.TryAddSingleton(sp => new NotificationDispatcher(
            sp.GetRequiredService<IAlertStore>(), sp.GetServices<INotificationChannel>(), sp.GetRequiredService<INotificationPoisonStore>(),
            sp.GetRequiredService<ResponderOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NotificationDispatcher>>(),
            sp.GetRequiredService<IRateCounter>(), sp.GetRequiredService<AuditTrail>())
        {
            Incidents = sp.GetRequiredService<IncidentTracker>(),
        });

        // Controller outcomes are verified with the hosts' result keys; without any, every outcome is refused (and audited).
        var resultKeys = configuration.GetSection(AppSettings.ControllerResultKeys).GetChildren().Where(c => !string.IsNullOrEmpty(c.Value))
            .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        var outcomeSigner = resultKeys.Count == 0 ? null : new OutcomeSigner(resultKeys);
        services.TryAddSingleton(sp => new CommandOutcomeRecorder(
            sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<ResponderOptions>(), sp.GetRequiredService<ILogger<CommandOutcomeRecorder>>(),
            outcomeSigner, sp.GetRequiredService<AuditTrail>())
        {
            Incidents = sp.GetRequiredService<IncidentTracker>(),
        });
        services.TryAddSingleton(sp => new SuppressedDigest(
            sp.GetRequiredService<IAuditLog>() as IAuditTimeline ?? throw new InvalidOperationException("The registered audit log cannot be read by time (IAuditTimeline)."),
            sp.GetRequiredService<IAlertStore>(), sp.GetServices<INotificationChannel>(), sp.GetRequiredService<IRateCounter>(),
            sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SuppressedDigest>>()));
        services.TryAddSingleton(sp => new AlertResponder(
            sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<INotificationOutbox>(), sp.GetRequiredService<ResponsePolicy>(),
            sp.GetRequiredService<ResponderOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AlertResponder>>())
        {
            Policies = sp.GetRequiredService<ResponsePolicyProvider>(),
            Sandboxes = sp.GetRequiredService<SandboxSnapshotProvider>(),
            Incidents = sp.GetRequiredService<IncidentTracker>(),
        });
        services.TryAddSingleton(sp => new AlertActionHandler(
            sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<IActionNonceStore>(), sp.GetService<ActionLinkSigner>(),
            sp.GetRequiredService<IAuditLog>(), sp.GetService<ShutdownChannel>(), sp.GetRequiredService<ShutdownOptions>(),
            sp.GetRequiredService<ResponderOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AlertActionHandler>>())
        {
            Incidents = sp.GetRequiredService<IncidentTracker>(),
        });
        services.TryAddSingleton(sp => new AlertEscalator(
            sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<INotificationOutbox>(), sp.GetRequiredService<EscalationOptions>(),
            sp.GetRequiredService<ResponderOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AlertEscalator>>())
        {
            Incidents = sp.GetRequiredService<IIncidentStore>(),
        });
        services.TryAddSingleton(sp => new CorrelationEngine(
            sp.GetRequiredService<ICorrelationStateStore>(), sp.GetRequiredService<CorrelationOptions>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CorrelationEngine>>()));
        services.TryAddSingleton(sp => new TelemetryPipeline(
            sp.GetRequiredService<TelemetryIngestor>(), sp.GetRequiredService<SandboxSnapshotProvider>(), sp.GetRequiredService<RuleSetProvider>(),
            sp.GetRequiredService<AlertResponder>(), sp.GetRequiredService<IDeadLetterStore>(), pipelineOptions,
            sp.GetRequiredService<CorrelationEngine>(), sp.GetRequiredService<ILogger<TelemetryPipeline>>(),
            sp.GetRequiredService<ISandboxActivityStore>())
        {
            Indicators = sp.GetRequiredService<IndicatorSetProvider>(),
            Lineage = sp.GetRequiredService<ILineageStore>(),
            Attribution = sp.GetRequiredService<AttributionOptions>(),
            Time = sp.GetRequiredService<TimeProvider>(),
        });
        services.TryAddSingleton(sp => new HeartbeatCheck(
            sp.GetRequiredService<ISandboxActivityStore>(), sp.GetRequiredService<AlertResponder>(), sp.GetRequiredService<HeartbeatOptions>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    // Signed Acknowledge / Approve / Dismiss links: their own key (the command key is on every sandbox host).
    private static void AddActionLinks(IServiceCollection services, IConfiguration configuration)
    {
        var key = configuration[AppSettings.ActionsSigningKey];
        if (!string.IsNullOrEmpty(key))
        {
            var retiredKeys = configuration.GetSection(AppSettings.ActionsKeys).GetChildren().Where(c => c.Value is not null)
                .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
            services.TryAddSingleton(sp => new ActionLinkSigner(key, configuration[AppSettings.ActionsKeyId] ?? "a1", sp.GetRequiredService<TimeProvider>(), retiredKeys));
        }

        services.TryAddSingleton(sp => new ActionLinkIssuer(sp.GetService<ActionLinkSigner>(), sp.GetRequiredService<ActionLinkOptions>()));
    }

    // A channel without its settings is not registered: the responder then records "channel 'email' is not
    // configured" on the alert, which is visible, instead of failing on every send.
    private static void AddConfiguredChannels(IServiceCollection services, IConfiguration configuration)
    {
        var email = configuration.GetSection(SendGridChannelOptions.Section).Get<SendGridChannelOptions>() ?? new SendGridChannelOptions();

        // The documented names (SendGrid__ApiKey, SendGrid__BaseUrl, Notifications__From/To, Teams__WebhookUrl) win over
        // the older Channels__Email__* / Channels__Teams__* ones, which keep working.
        email.ApiKey = configuration[AppSettings.SendGridApiKey] ?? email.ApiKey;
        email.Host = configuration[AppSettings.SendGridBaseUrl] ?? email.Host;
        email.From = configuration[AppSettings.NotificationsFrom] ?? email.From;
        email.FromName = configuration[AppSettings.NotificationsFromName] ?? email.FromName;
        email.To = configuration[AppSettings.NotificationsTo] ?? email.To;
        if (email.IsConfigured)
        {
            // The default handler logging would write full request URIs; the channels log what matters themselves.
            services.AddHttpClient(SendGridChannel.HttpClientName).RemoveAllLoggers();
            services.AddSingleton<INotificationChannel>(sp => new SendGridChannel(
                sp.GetRequiredService<IHttpClientFactory>(), email, sp.GetRequiredService<ILogger<SendGridChannel>>())
            {
                Owners = sp.GetRequiredService<SandboxSnapshotProvider>(),
                Policies = sp.GetRequiredService<ResponsePolicyProvider>(),
                Links = sp.GetRequiredService<ActionLinkIssuer>(),
                Incidents = sp.GetRequiredService<IIncidentStore>(),
                Time = sp.GetRequiredService<TimeProvider>(),
            });
        }

        var teams = configuration.GetSection(TeamsChannelOptions.Section).Get<TeamsChannelOptions>() ?? new TeamsChannelOptions();
        teams.WebhookUrl = configuration[AppSettings.TeamsWebhookUrl] ?? teams.WebhookUrl;
        if (teams.IsConfigured)
        {
            // The webhook URL carries its own signature; logging it would leak a credential.
            services.AddHttpClient(TeamsChannel.HttpClientName).RemoveAllLoggers();
            services.AddSingleton<INotificationChannel>(sp => new TeamsChannel(
                sp.GetRequiredService<IHttpClientFactory>(), teams, sp.GetRequiredService<ILogger<TeamsChannel>>())
            {
                Links = sp.GetRequiredService<ActionLinkIssuer>(),
                Incidents = sp.GetRequiredService<IIncidentStore>(),
            });
        }

        if (email.IsConfigured || teams.IsConfigured)
        {
            // Follow-ups (approval request, escalation) go out again through Teams and email.
            foreach (var relay in new[] { ApprovalRequest.Channel, AlertEscalator.Channel })
            {
                services.AddSingleton<INotificationChannel>(sp => new RelayChannel(relay, sp.GetServices<INotificationChannel>));
            }
        }
    }
}
