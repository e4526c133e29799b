using System.Reflection;
using AlertPipeline.Adapters;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Shutdown;
using AlertPipeline.Functions.EventHubs;
using AlertPipeline.Infra.Tests.Bicep;

namespace AlertPipeline.Infra.Tests;

/// <summary>
/// Names agree between the code and the template: read from the code (trigger attributes, StorageNames, AppSettings)
/// through project references, never copied here.
/// </summary>
[Collection(CompiledTemplatesCollection.Name)]
public sealed class NameAgreementTests(CompiledTemplates templates)
{
    /// <summary>The Event Hub trigger attributes of every function in the Function App.</summary>
    private static List<EventHubTriggerAttribute> Triggers()
        => [.. typeof(EventHubSettings).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<EventHubTriggerAttribute>())
            .OfType<EventHubTriggerAttribute>()];

    private static string SettingOf(string reference)
    {
        Assert.Matches("^%[A-Za-z0-9_]+%$", reference);
        return reference.Trim('%');
    }

    /// <summary>The public string constants of <see cref="StorageNames"/> whose names end in <paramref name="suffix"/>.</summary>
    private static List<string> StorageConstants(string suffix)
        => [.. typeof(StorageNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.EndsWith(suffix, StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)];

    private static List<string> TemplateArray(CompiledTemplates templates, string variable)
        => [.. templates.Main["variables"]![variable]!.AsArray().Select(n => (string)n!)];

    [Fact]
    public void Triggers_ReadHubs_ThatTheTemplateCreates_ThroughTheSettingsItSets()
    {
        var triggers = Triggers();
        Assert.Equal(2, triggers.Count);
        var settings = templates.AppSettings();
        var appParameters = templates.ModuleParameters("functionapp");
        var hubParameters = templates.ModuleParameters("eventhubs");
        var createdHubs = new[] { hubParameters["sandboxTelemetryHubName"], hubParameters["firewallLogsHubName"] };
        foreach (var trigger in triggers)
        {
            // %Setting% -> the app setting -> a module parameter -> the value main.bicep also gives the Event Hubs module.
            var setting = SettingOf(trigger.EventHubName);
            Assert.True(settings.TryGetValue(setting, out var value), $"app setting {setting} is not in the template");
            var parameter = value.Replace("[parameters('", "", StringComparison.Ordinal).Replace("')]", "", StringComparison.Ordinal);
            Assert.Contains(appParameters[parameter], createdHubs);
        }

        Assert.Equal(2, triggers.Select(t => t.EventHubName).Distinct().Count());
    }

    [Fact]
    public void Triggers_ReadTheDedicatedConsumerGroup_ThatTheTemplateCreates()
    {
        var settings = templates.AppSettings();
        foreach (var trigger in Triggers())
        {
            var setting = SettingOf(trigger.ConsumerGroup!);
            Assert.Equal("[parameters('consumerGroupName')]", settings[setting]);
        }

        Assert.Equal(templates.ModuleParameters("functionapp")["consumerGroupName"], templates.ModuleParameters("eventhubs")["consumerGroupName"]);
        var group = (string)templates.Main["parameters"]!["consumerGroupName"]!["defaultValue"]!;
        Assert.NotEqual("$Default", group);
        Assert.NotEmpty(CompiledTemplates.Resources(templates.Module("eventhubs"), "Microsoft.EventHub/namespaces/eventhubs/consumergroups"));
    }

    [Fact]
    public void Triggers_ConnectionPrefix_HasTheIdentityBasedNamespaceSetting()
    {
        var settings = templates.AppSettings();
        foreach (var trigger in Triggers())
        {
            Assert.Equal("[parameters('eventHubsFullyQualifiedNamespace')]", settings[$"{trigger.Connection}__fullyQualifiedNamespace"]);
        }
    }

    [Fact]
    public void Tables_AreEveryTableInStorageNames()
    {
        var code = StorageConstants("Table");
        Assert.Contains(StorageNames.AlertsTable, code);
        Assert.Equal(code.Order(StringComparer.Ordinal), TemplateArray(templates, "tableNames").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Containers_AreEveryContainerInStorageNames()
    {
        var code = StorageConstants("Container");
        Assert.Contains(StorageNames.DeadLettersContainer, code);
        Assert.Equal(code.Order(StringComparer.Ordinal), TemplateArray(templates, "containerNames").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Queues_AreEveryQueueInStorageNames_AndTheShutdownDefault()
    {
        var code = StorageConstants("Queue");
        Assert.Contains(StorageNames.ShutdownCommandQueue, code);
        var template = TemplateArray(templates, "queueNames");
        Assert.Equal(code.Order(StringComparer.Ordinal), template.Order(StringComparer.Ordinal));
        Assert.Contains(new ShutdownOptions().DefaultQueue, template);
        Assert.Equal(new ShutdownOptions().DefaultQueue, (string?)templates.Main["variables"]!["defaultTuning"]!["shutdownDefaultQueue"]);
    }

    [Fact]
    public void DefaultTuning_IsTheCodesDefaults()
    {
        var t = templates.Main["variables"]!["defaultTuning"]!;
        string Text(string key) => t[key]!.ToJsonString().Trim('"');
        var pipeline = new AlertPipeline.Core.Pipeline.PipelineOptions();
        var responder = new AlertPipeline.Core.Respond.ResponderOptions();
        var correlation = new AlertPipeline.Core.Detect.Correlation.CorrelationOptions();
        var shutdown = new ShutdownOptions();
        var expected = new Dictionary<string, string>
        {
            ["pipelineAlertBucket"] = pipeline.AlertBucket.ToString("c"),
            ["pipelineRuleRefreshInterval"] = pipeline.RuleRefreshInterval.ToString("c"),
            ["pipelineInventoryRefreshInterval"] = pipeline.InventoryRefreshInterval.ToString("c"),
            ["pipelinePolicyRefreshInterval"] = pipeline.PolicyRefreshInterval.ToString("c"),
            ["pipelineIndicatorRefreshInterval"] = pipeline.IndicatorRefreshInterval.ToString("c"),
            ["responderMaxAttempts"] = responder.MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["responderMaxConcurrencyRetries"] = responder.MaxConcurrencyRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["correlationLateness"] = correlation.Lateness.ToString("c"),
            ["correlationMaxEntriesPerGroup"] = correlation.MaxEntriesPerGroup.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["correlationRetentionGrace"] = correlation.RetentionGrace.ToString("c"),
            ["correlationMaxConcurrencyRetries"] = correlation.MaxConcurrencyRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["heartbeatSilenceAfter"] = new AlertPipeline.Core.Detect.Heartbeat.HeartbeatOptions().SilenceAfter.ToString("c"),
            ["channelTimeout"] = new AlertPipeline.Adapters.Respond.Channels.Teams.TeamsChannelOptions().Timeout.ToString("c"),
            ["shutdownDefaultQueue"] = shutdown.DefaultQueue,
            ["shutdownCommandLifetime"] = shutdown.CommandLifetime.ToString("c"),
            ["shutdownMaxPerHour"] = shutdown.MaxPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["responderRetryBaseDelay"] = responder.RetryBaseDelay.ToString("c"),
            ["responderMaxRetryDelay"] = responder.MaxRetryDelay.ToString("c"),
            ["responderSendLease"] = responder.SendLease.ToString("c"),
            ["responderMaxPerChannelPerWindow"] = responder.MaxPerChannelPerWindow.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["responderRateWindow"] = responder.RateWindow.ToString("c"),
            ["shutdownCapWindow"] = shutdown.CapWindow.ToString("c"),
            ["shutdownEnabled"] = shutdown.Enabled ? "true" : "false",
            ["shutdownAction"] = shutdown.Action,
        };
        Assert.Equal(new AlertPipeline.Adapters.Respond.Channels.SendGrid.SendGridChannelOptions().Timeout, new AlertPipeline.Adapters.Respond.Channels.Teams.TeamsChannelOptions().Timeout);
        foreach (var (key, value) in expected)
        {
            Assert.True(value == Text(key), $"defaultTuning.{key} is {Text(key)}, the code's default is {value}");
        }
    }

    [Fact]
    public void EverySettingTheCodeReads_IsInTheTemplate()
    {
        Assert.Empty(AppSettingCrossCheck.MissingFromTemplate(AppSettings.All, templates.AppSettings().Keys));
    }

    [Fact]
    public void EverySettingInTheTemplate_IsReadByTheCode()
    {
        Assert.Empty(AppSettingCrossCheck.UnknownInTemplate(AppSettings.All, templates.AppSettings().Keys));
    }

    [Fact]
    public void CrossCheck_ReportsASettingRenamedInTheCode()
    {
        // As if Teams:WebhookUrl were renamed in code without the template following.
        var renamed = AppSettings.All
            .Select(s => s.Name == "Teams__WebhookUrl" ? s with { Key = "Teams:WebHookUri" } : s)
            .ToList();
        Assert.Equal(["Teams__WebHookUri"], AppSettingCrossCheck.MissingFromTemplate(renamed, templates.AppSettings().Keys));
        Assert.Equal(["Teams__WebhookUrl"], AppSettingCrossCheck.UnknownInTemplate(renamed, templates.AppSettings().Keys));
    }

    [Fact]
    public void CrossCheck_ReportsAConnectionStringSettingInTheTemplate()
    {
        var template = templates.AppSettings().Keys.Append(StorageNames.Setting).Append(AppSettings.HostStorage);
        Assert.Equal([StorageNames.Setting, AppSettings.HostStorage], AppSettingCrossCheck.UnknownInTemplate(AppSettings.All, template));
    }

    [Fact]
    public void CrossCheck_ReportsASecretGivenAsALiteral()
    {
        var template = templates.AppSettings().ToDictionary(p => p.Key, p => p.Value);
        template["Shutdown__SigningKey"] = "[parameters('shutdownSigningKey')]";
        Assert.Equal(["Shutdown__SigningKey"], AppSettingCrossCheck.SecretsNotFromKeyVault(AppSettings.All, template));
    }

    [Fact]
    public void AppSettings_CoverEveryPropertyOfTheBoundOptions()
    {
        // An option property added without a line in AppSettings.All would be a setting the template never learns of.
        var bound = new (string Section, Type Options)[]
        {
            (AppSettings.PipelineSection, typeof(AlertPipeline.Core.Pipeline.PipelineOptions)),
            (AppSettings.ResponderSection, typeof(AlertPipeline.Core.Respond.ResponderOptions)),
            (AppSettings.CorrelationSection, typeof(AlertPipeline.Core.Detect.Correlation.CorrelationOptions)),
            (AppSettings.ShutdownSection, typeof(ShutdownOptions)),
            (AlertPipeline.Adapters.Respond.Channels.SendGrid.SendGridChannelOptions.Section, typeof(AlertPipeline.Adapters.Respond.Channels.SendGrid.SendGridChannelOptions)),
            (AlertPipeline.Adapters.Respond.Channels.Teams.TeamsChannelOptions.Section, typeof(AlertPipeline.Adapters.Respond.Channels.Teams.TeamsChannelOptions)),
        };
        var listed = AppSettings.All.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var missing = bound
            .SelectMany(b => b.Options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite)
                .Select(p => $"{b.Section}:{p.Name}"))
            .Where(key => !listed.Contains(key))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void AppSettings_NamesAreUnique()
    {
        Assert.Equal(AppSettings.All.Count, AppSettings.All.Select(s => s.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }
}
