namespace AlertPipeline.Core.Events;

/// <summary>
/// The identity of one normalized field. Events store values in slots indexed by this id,
/// so the hot path never hashes a field name. Names and kinds live in <see cref="EcsFields"/>.
/// </summary>
/// <remarks>
/// Append new fields at the end (before <see cref="Count"/>) and add one row to
/// <see cref="EcsFields"/>; ids are in-process only and never persisted.
/// </remarks>
public enum EcsField : byte
{
    Timestamp,
    Message,

    EventKind,
    EventCategory,
    EventType,
    EventAction,
    EventOutcome,
    EventDataset,
    EventModule,
    EventSeverity,
    EventId,
    EventReason,
    EventDuration,

    HostName,
    HostId,
    HostIp,

    ObserverVendor,
    ObserverProduct,
    ObserverType,
    ObserverName,

    UserName,
    UserId,

    ProcessPid,
    ProcessName,
    ProcessExecutable,
    ProcessCommandLine,
    ProcessWorkingDirectory,
    ProcessParentPid,
    ProcessParentName,
    ProcessParentExecutable,
    ProcessParentCommandLine,

    SourceIp,
    SourcePort,
    SourceAddress,
    SourceDomain,

    DestinationIp,
    DestinationPort,
    DestinationAddress,
    DestinationDomain,

    NetworkTransport,
    NetworkProtocol,
    NetworkDirection,
    NetworkBytes,

    UrlFull,
    UrlOriginal,
    UrlDomain,
    UrlPath,

    DnsQuestionName,
    DnsQuestionType,
    DnsResponseCode,

    TlsClientServerName,

    FilePath,
    FileName,

    RuleId,
    RuleName,
    RuleRuleset,
    RuleCategory,
    RuleDescription,

    ContainerId,
    ContainerName,
    CloudInstanceId,

    // Custom fields ECS lacks (documented in docs/telemetry-schema.md).
    SandboxId,
    SandboxRunId,
    SandboxEpisodeId,
    SandboxTeam,
    SandboxOwner,
    SandboxEnvironment,

    GpuIndex,
    GpuUuid,
    GpuUtilization,
    GpuMemoryUsed,

    ToolName,
    ToolCallId,
    ToolInput,

    // Written by enrichers, never trusted from telemetry.
    SourceAddressClass,
    DestinationAddressClass,

    // Fields of the Suricata, Zeek, Falco, Tetragon and DCGM formats.
    TlsClientJa3,
    TlsClientJa4,
    TlsServerJa3s,
    HttpRequestMethod,
    HttpResponseStatusCode,
    UserAgentOriginal,
    LogLevel,
    ContainerImageName,
    OrchestratorType,
    OrchestratorNamespace,
    OrchestratorResourceName,
    GpuMemoryFree,
    DestinationNatIp,
    DestinationNatPort,
    DestinationEgressAllowed,

    // Threat indicator matches, written by the indicator enricher.
    ThreatIndicatorType,
    ThreatIndicatorIp,
    ThreatIndicatorDomain,
    ThreatIndicatorProvider,
    ThreatIndicatorKind,
    ThreatIndicatorDescription,
    ThreatEnrichmentsMatchedField,
    ThreatEnrichmentsMatchedAtomic,

    // Why a GPU sample is not explained by the sandbox's scheduled work, written by the GPU usage enricher.
    GpuUnexplained,

    /// <summary>Number of fields; not a field.</summary>
    Count,
}
