using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Falco's JSON output (<c>json_output: true</c>, as Falcosidekick and the gRPC/HTTP outputs forward it): <c>rule</c>,
/// <c>priority</c>, <c>output</c>, <c>time</c>, <c>hostname</c>, <c>source</c> and the rule's <c>output_fields</c>
/// (<c>proc.*</c>, <c>fd.*</c>, <c>container.*</c>, <c>k8s.*</c>, <c>user.*</c>, <c>evt.type</c>). Each record is an
/// alert. Field mapping: <c>docs/formats/falco.md</c>.
/// </summary>
public sealed class FalcoFormat : MappedJsonFormat
{
    private const byte PrioritySlot = 0;
    private const byte SourceSlot = 1;
    private const byte FdTypeSlot = 2;

    /// <summary>Creates the format.</summary>
    public FalcoFormat()
        : base("falco", Paths(), "rule", "priority", "output", "output_fields", "hostname", "source")
    {
    }

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        return StartsLikeJson(body) && HasKey(window, "\"rule\""u8) && HasKey(window, "\"priority\""u8) && HasKey(window, "\"output\""u8);
    }

    private static IEnumerable<KeyValuePair<string, MapTarget>> Paths() =>
    [
        Map("time", MapAction.Time),
        Map("rule", EcsField.RuleName),
        Map("priority", MapAction.Capture, slot: PrioritySlot),
        Map("source", MapAction.Capture, slot: SourceSlot),
        Map("output", EcsField.Message),
        Map("hostname", EcsField.HostName),
        Map("uuid", EcsField.EventId),
        Map("output_fields.evt.type", EcsField.EventAction),
        Map("output_fields.proc.pid", EcsField.ProcessPid),
        Map("output_fields.proc.name", EcsField.ProcessName),
        Map("output_fields.proc.exepath", EcsField.ProcessExecutable),
        Map("output_fields.proc.cmdline", EcsField.ProcessCommandLine),
        Map("output_fields.proc.cwd", EcsField.ProcessWorkingDirectory),
        Map("output_fields.proc.ppid", EcsField.ProcessParentPid),
        Map("output_fields.proc.pname", EcsField.ProcessParentName),
        Map("output_fields.proc.pexepath", EcsField.ProcessParentExecutable),
        Map("output_fields.proc.pcmdline", EcsField.ProcessParentCommandLine),
        Map("output_fields.user.name", EcsField.UserName),
        Map("output_fields.user.uid", EcsField.UserId),
        Map("output_fields.fd.type", MapAction.Capture, slot: FdTypeSlot),
        Map("output_fields.fd.name", EcsField.FilePath),
        Map("output_fields.fd.cip", EcsField.SourceIp),
        Map("output_fields.fd.cport", EcsField.SourcePort),
        Map("output_fields.fd.sip", EcsField.DestinationIp),
        Map("output_fields.fd.sport", EcsField.DestinationPort),
        Map("output_fields.fd.l4proto", MapAction.Lower, EcsField.NetworkTransport),
        Map("output_fields.container.id", EcsField.ContainerId),
        Map("output_fields.container.name", EcsField.ContainerName),
        Map("output_fields.container.image.repository", EcsField.ContainerImageName),
        Map("output_fields.k8s.ns.name", EcsField.OrchestratorNamespace),
        Map("output_fields.k8s.pod.name", EcsField.OrchestratorResourceName),
    ];

    private protected override string? Complete(EventBatch batch, ref MappedRecord record)
    {
        if (!batch.HasOpen(EcsField.RuleName))
        {
            return "missing-rule";
        }

        var priority = record.Captured(PrioritySlot);
        batch.Set(EcsField.EventKind, "alert");
        batch.Set(EcsField.EventModule, "falco");
        batch.Set(EcsField.ObserverVendor, "Falco");
        batch.Set(EcsField.ObserverProduct, "Falco");
        batch.Set(EcsField.ObserverType, "host");
        batch.Set(EcsField.EventDataset, record.Captured(SourceSlot) is "k8s_audit" ? "falco.k8s_audit" : "falco.alerts");
        if (!priority.IsEmpty)
        {
            JsonValues.SetLower(batch, EcsField.LogLevel, priority);
            var severity = SyslogSeverity(priority);
            if (severity >= 0)
            {
                batch.Set(EcsField.EventSeverity, severity);
            }
        }

        // A socket's fd.name is the connection tuple (its endpoints come from fd.cip/fd.sip): only files keep it.
        var fdType = record.Captured(FdTypeSlot);
        var socket = fdType is "ipv4" or "ipv6" || batch.GetOpen(EcsField.FilePath).Contains("->", StringComparison.Ordinal);
        if (socket || fdType is "unix" or "pipe" or "event" or "signalfd" or "inotify" or "timerfd" or "memfd")
        {
            batch.Unset(EcsField.FilePath);
        }

        var path = batch.GetOpen(EcsField.FilePath);
        if (!path.IsEmpty)
        {
            batch.Set(EcsField.FileName, path[(path.LastIndexOf('/') + 1)..]);
        }

        if (batch.HasOpen(EcsField.OrchestratorResourceName))
        {
            batch.Set(EcsField.OrchestratorType, "kubernetes");
        }

        // What the Falco event is about decides which Sigma log sources see it.
        var action = batch.GetOpen(EcsField.EventAction);
        if (socket || batch.HasOpen(EcsField.DestinationIp))
        {
            batch.Set(EcsField.EventCategory, "network");
            batch.Set(EcsField.EventType, "connection");
        }
        else if (action is "execve" or "execveat")
        {
            batch.Set(EcsField.EventCategory, "process");
            batch.Set(EcsField.EventType, "start");
        }
        else if (!path.IsEmpty)
        {
            batch.Set(EcsField.EventCategory, "file");
            batch.Set(EcsField.EventType, "access");
        }
        else
        {
            batch.Set(EcsField.EventCategory, "process");
            batch.Set(EcsField.EventType, "info");
        }

        return null;
    }

    /// <summary>Falco priorities are the syslog levels: Emergency 0 … Debug 7; -1 for anything else.</summary>
    private static int SyslogSeverity(ReadOnlySpan<char> priority)
    {
        ReadOnlySpan<string> names = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"];
        for (var i = 0; i < names.Length; i++)
        {
            if (priority.Equals(names[i], StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return priority.Equals("info", StringComparison.OrdinalIgnoreCase) ? 6 : -1;
    }

    private protected override string DetailOf(string reason)
        => reason == "missing-rule" ? "The record has no rule name." : base.DetailOf(reason);
}
