using System.Collections.Frozen;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// Maps Sigma taxonomy field names (as SigmaHQ rules spell them) to <see cref="EcsField"/>s. ECS dotted names
/// (<c>destination.ip</c>, <c>sandbox.id</c>) are resolved directly through <see cref="EcsFields"/> and need no row here.
/// </summary>
/// <remarks>Keep in step with the table in docs/sigma.md. Names are case-insensitive, as SigmaHQ spelling varies.</remarks>
public static class SigmaFieldMap
{
    private static readonly FrozenDictionary<string, EcsField> Map = new Dictionary<string, EcsField>(StringComparer.OrdinalIgnoreCase)
    {
        // process_creation taxonomy
        ["Image"] = EcsField.ProcessExecutable,
        ["CommandLine"] = EcsField.ProcessCommandLine,
        ["ParentImage"] = EcsField.ProcessParentExecutable,
        ["ParentCommandLine"] = EcsField.ProcessParentCommandLine,
        ["ProcessId"] = EcsField.ProcessPid,
        ["ParentProcessId"] = EcsField.ProcessParentPid,
        ["CurrentDirectory"] = EcsField.ProcessWorkingDirectory,
        ["User"] = EcsField.UserName,

        // network_connection taxonomy
        ["DestinationIp"] = EcsField.DestinationIp,
        ["DestinationPort"] = EcsField.DestinationPort,
        ["DestinationHostname"] = EcsField.DestinationDomain,
        ["SourceIp"] = EcsField.SourceIp,
        ["SourcePort"] = EcsField.SourcePort,
        ["SourceHostname"] = EcsField.SourceDomain,
        ["Protocol"] = EcsField.NetworkTransport,

        // dns / dns_query taxonomy
        ["QueryName"] = EcsField.DnsQuestionName,
        ["query"] = EcsField.DnsQuestionName,
        ["record_type"] = EcsField.DnsQuestionType,

        // file events
        ["TargetFilename"] = EcsField.FilePath,

        // host
        ["Computer"] = EcsField.HostName,
        ["Hostname"] = EcsField.HostName,

        // firewall taxonomy
        ["dst_ip"] = EcsField.DestinationIp,
        ["dst_port"] = EcsField.DestinationPort,
        ["src_ip"] = EcsField.SourceIp,
        ["src_port"] = EcsField.SourcePort,
        ["action"] = EcsField.EventAction,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Sigma taxonomy fields of the categories we ingest that our telemetry does not carry (Sysmon-only process
    /// and connection details, DNS answers, firewall verdict flags). A rule naming one is valid but cannot be
    /// evaluated here: it is reported as unsupported, where an unknown name (a typo) is an error.
    /// </summary>
    private static readonly FrozenSet<string> NotCarried = new[]
    {
        // process_creation (Sysmon event 1 names)
        "UtcTime", "ProcessGuid", "FileVersion", "Description", "Product", "Company", "OriginalFileName", "LogonGuid",
        "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes", "imphash", "md5", "sha1", "sha256",
        "ParentProcessGuid", "ParentUser",

        // network_connection (Sysmon event 3 names)
        "Initiated", "SourceIsIpv6", "DestinationIsIpv6", "SourcePortName", "DestinationPortName",

        // dns
        "answer",

        // firewall
        "blocked",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a Sigma taxonomy field of an ingested category that our events never carry.</summary>
    internal static bool IsNotCarried(string name) => NotCarried.Contains(name);

    /// <summary>Every Sigma name this map knows, with its field (for docs and tests).</summary>
    public static IReadOnlyDictionary<string, EcsField> Entries => Map;

    /// <summary>Resolves a Sigma taxonomy name, else an exact ECS dotted name.</summary>
    public static bool TryResolve(string name, out EcsField field)
        => Map.TryGetValue(name, out field) || EcsFields.TryGet(name, out field);
}
