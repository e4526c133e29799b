using System.Collections.Frozen;

namespace AlertPipeline.Core.Events;

/// <summary>
/// The field table: ECS dotted name, kind and origin of every <see cref="EcsField"/>,
/// with span-keyed lookups so parsers resolve a JSON path without allocating.
/// </summary>
public static class EcsFields
{
    /// <summary>Describes one normalized field.</summary>
    public readonly record struct Definition(EcsField Field, string Name, FieldKind Kind, bool Enriched = false);

    private static readonly Definition[] Table =
    [
        new(EcsField.Timestamp, "@timestamp", FieldKind.Date),
        new(EcsField.Message, "message", FieldKind.Text),
        new(EcsField.EventKind, "event.kind", FieldKind.Keyword),
        new(EcsField.EventCategory, "event.category", FieldKind.Keyword),
        new(EcsField.EventType, "event.type", FieldKind.Keyword),
        new(EcsField.EventAction, "event.action", FieldKind.Keyword),
        new(EcsField.EventOutcome, "event.outcome", FieldKind.Keyword),
        new(EcsField.EventDataset, "event.dataset", FieldKind.Keyword),
        new(EcsField.EventModule, "event.module", FieldKind.Keyword),
        new(EcsField.EventSeverity, "event.severity", FieldKind.Long),
        new(EcsField.EventId, "event.id", FieldKind.Keyword),
        new(EcsField.EventReason, "event.reason", FieldKind.Text),
        new(EcsField.EventDuration, "event.duration", FieldKind.Long),
        new(EcsField.HostName, "host.name", FieldKind.Keyword),
        new(EcsField.HostId, "host.id", FieldKind.Keyword),
        new(EcsField.HostIp, "host.ip", FieldKind.Ip),
        new(EcsField.ObserverVendor, "observer.vendor", FieldKind.Keyword),
        new(EcsField.ObserverProduct, "observer.product", FieldKind.Keyword),
        new(EcsField.ObserverType, "observer.type", FieldKind.Keyword),
        new(EcsField.ObserverName, "observer.name", FieldKind.Keyword),
        new(EcsField.UserName, "user.name", FieldKind.Keyword),
        new(EcsField.UserId, "user.id", FieldKind.Keyword),
        new(EcsField.ProcessPid, "process.pid", FieldKind.Long),
        new(EcsField.ProcessName, "process.name", FieldKind.Keyword),
        new(EcsField.ProcessExecutable, "process.executable", FieldKind.Keyword),
        new(EcsField.ProcessCommandLine, "process.command_line", FieldKind.Text),
        new(EcsField.ProcessWorkingDirectory, "process.working_directory", FieldKind.Keyword),
        new(EcsField.ProcessParentPid, "process.parent.pid", FieldKind.Long),
        new(EcsField.ProcessParentName, "process.parent.name", FieldKind.Keyword),
        new(EcsField.ProcessParentExecutable, "process.parent.executable", FieldKind.Keyword),
        new(EcsField.ProcessParentCommandLine, "process.parent.command_line", FieldKind.Text),
        new(EcsField.SourceIp, "source.ip", FieldKind.Ip),
        new(EcsField.SourcePort, "source.port", FieldKind.Long),
        new(EcsField.SourceAddress, "source.address", FieldKind.Keyword),
        new(EcsField.SourceDomain, "source.domain", FieldKind.Keyword),
        new(EcsField.DestinationIp, "destination.ip", FieldKind.Ip),
        new(EcsField.DestinationPort, "destination.port", FieldKind.Long),
        new(EcsField.DestinationAddress, "destination.address", FieldKind.Keyword),
        new(EcsField.DestinationDomain, "destination.domain", FieldKind.Keyword),
        new(EcsField.NetworkTransport, "network.transport", FieldKind.Keyword),
        new(EcsField.NetworkProtocol, "network.protocol", FieldKind.Keyword),
        new(EcsField.NetworkDirection, "network.direction", FieldKind.Keyword),
        new(EcsField.NetworkBytes, "network.bytes", FieldKind.Long),
        new(EcsField.UrlFull, "url.full", FieldKind.Keyword),
        new(EcsField.UrlOriginal, "url.original", FieldKind.Keyword),
        new(EcsField.UrlDomain, "url.domain", FieldKind.Keyword),
        new(EcsField.UrlPath, "url.path", FieldKind.Keyword),
        new(EcsField.DnsQuestionName, "dns.question.name", FieldKind.Keyword),
        new(EcsField.DnsQuestionType, "dns.question.type", FieldKind.Keyword),
        new(EcsField.DnsResponseCode, "dns.response_code", FieldKind.Keyword),
        new(EcsField.TlsClientServerName, "tls.client.server_name", FieldKind.Keyword),
        new(EcsField.FilePath, "file.path", FieldKind.Keyword),
        new(EcsField.FileName, "file.name", FieldKind.Keyword),
        new(EcsField.RuleId, "rule.id", FieldKind.Keyword),
        new(EcsField.RuleName, "rule.name", FieldKind.Keyword),
        new(EcsField.RuleRuleset, "rule.ruleset", FieldKind.Keyword),
        new(EcsField.RuleCategory, "rule.category", FieldKind.Keyword),
        new(EcsField.RuleDescription, "rule.description", FieldKind.Text),
        new(EcsField.ContainerId, "container.id", FieldKind.Keyword),
        new(EcsField.ContainerName, "container.name", FieldKind.Keyword),
        new(EcsField.CloudInstanceId, "cloud.instance.id", FieldKind.Keyword),
        new(EcsField.SandboxId, "sandbox.id", FieldKind.Keyword),
        new(EcsField.SandboxRunId, "sandbox.run_id", FieldKind.Keyword),
        new(EcsField.SandboxEpisodeId, "sandbox.episode_id", FieldKind.Keyword),
        new(EcsField.SandboxTeam, "sandbox.team", FieldKind.Keyword, Enriched: true),
        new(EcsField.SandboxOwner, "sandbox.owner", FieldKind.Keyword, Enriched: true),
        new(EcsField.SandboxEnvironment, "sandbox.environment", FieldKind.Keyword, Enriched: true),
        new(EcsField.GpuIndex, "gpu.index", FieldKind.Long),
        new(EcsField.GpuUuid, "gpu.uuid", FieldKind.Keyword),
        new(EcsField.GpuUtilization, "gpu.utilization", FieldKind.Double),
        new(EcsField.GpuMemoryUsed, "gpu.memory.used", FieldKind.Long),
        new(EcsField.ToolName, "tool.name", FieldKind.Keyword),
        new(EcsField.ToolCallId, "tool.call_id", FieldKind.Keyword),
        new(EcsField.ToolInput, "tool.input", FieldKind.Text),
        new(EcsField.SourceAddressClass, "source.address_class", FieldKind.Keyword, Enriched: true),
        new(EcsField.DestinationAddressClass, "destination.address_class", FieldKind.Keyword, Enriched: true),
        new(EcsField.TlsClientJa3, "tls.client.ja3", FieldKind.Keyword),
        new(EcsField.TlsClientJa4, "tls.client.ja4", FieldKind.Keyword),
        new(EcsField.TlsServerJa3s, "tls.server.ja3s", FieldKind.Keyword),
        new(EcsField.HttpRequestMethod, "http.request.method", FieldKind.Keyword),
        new(EcsField.HttpResponseStatusCode, "http.response.status_code", FieldKind.Long),
        new(EcsField.UserAgentOriginal, "user_agent.original", FieldKind.Keyword),
        new(EcsField.LogLevel, "log.level", FieldKind.Keyword),
        new(EcsField.ContainerImageName, "container.image.name", FieldKind.Keyword),
        new(EcsField.OrchestratorType, "orchestrator.type", FieldKind.Keyword),
        new(EcsField.OrchestratorNamespace, "orchestrator.namespace", FieldKind.Keyword),
        new(EcsField.OrchestratorResourceName, "orchestrator.resource.name", FieldKind.Keyword),
        new(EcsField.GpuMemoryFree, "gpu.memory.free", FieldKind.Long),
        new(EcsField.DestinationNatIp, "destination.nat.ip", FieldKind.Ip),
        new(EcsField.DestinationNatPort, "destination.nat.port", FieldKind.Long),
        new(EcsField.DestinationEgressAllowed, "destination.egress_allowed", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorType, "threat.indicator.type", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorIp, "threat.indicator.ip", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorDomain, "threat.indicator.domain", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorProvider, "threat.indicator.provider", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorKind, "threat.indicator.kind", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatIndicatorDescription, "threat.indicator.description", FieldKind.Text, Enriched: true),
        new(EcsField.ThreatEnrichmentsMatchedField, "threat.enrichments.matched.field", FieldKind.Keyword, Enriched: true),
        new(EcsField.ThreatEnrichmentsMatchedAtomic, "threat.enrichments.matched.atomic", FieldKind.Keyword, Enriched: true),
        new(EcsField.GpuUnexplained, "gpu.unexplained", FieldKind.Keyword, Enriched: true),
    ];

    private static readonly FrozenDictionary<string, EcsField> ByName =
        Table.ToFrozenDictionary(d => d.Name, d => d.Field, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, EcsField>.AlternateLookup<ReadOnlySpan<char>> ByNameSpan =
        ByName.GetAlternateLookup<ReadOnlySpan<char>>();

    static EcsFields()
    {
        // The table must list every field exactly once, in enum order, so Get(field) is an index.
        for (var i = 0; i < Table.Length; i++)
        {
            if ((int)Table[i].Field != i)
            {
                throw new InvalidOperationException($"EcsFields table row {i} is {Table[i].Field}; rows must follow EcsField order.");
            }
        }

        if (Table.Length != (int)EcsField.Count)
        {
            throw new InvalidOperationException("EcsFields table does not cover every EcsField.");
        }
    }

    /// <summary>All field definitions in id order.</summary>
    public static ReadOnlySpan<Definition> All => Table;

    /// <summary>The definition of <paramref name="field"/>.</summary>
    public static ref readonly Definition Get(EcsField field) => ref Table[(int)field];

    /// <summary>The ECS dotted name of <paramref name="field"/>.</summary>
    public static string NameOf(EcsField field) => Table[(int)field].Name;

    /// <summary>Resolves an ECS dotted name (exact, case-sensitive as ECS is).</summary>
    public static bool TryGet(ReadOnlySpan<char> name, out EcsField field) => ByNameSpan.TryGetValue(name, out field);

    /// <summary>Resolves an ECS dotted name.</summary>
    public static bool TryGet(string name, out EcsField field) => ByName.TryGetValue(name, out field);
}
