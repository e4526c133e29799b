using System.Buffers;
using System.Text.Json;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// Azure Firewall diagnostic logs as diagnostic settings stream them to an Event Hub: <c>{"records":[…]}</c>.
/// Handles the legacy AzureDiagnostics categories (free-text <c>properties.msg</c>) and the resource-specific
/// <c>AZFW*</c> categories (structured <c>properties</c>). Field mapping: <c>docs/formats/azure-firewall.md</c>.
/// </summary>
public sealed class AzureFirewallFormat : ITelemetryFormat
{
    /// <summary>Longest <c>message</c> kept from a legacy <c>msg</c>.</summary>
    public const int MaxMessageChars = 2048;

    // Longer msg texts are rented, not stack-allocated.
    private const int StackMessageChars = 1024;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 32 };

    /// <inheritdoc />
    public string Name => "azure-firewall";

    /// <inheritdoc />
    public bool CanParse(ReadOnlySpan<byte> body)
    {
        var i = JsonValues.SkipWhitespace(body, 0);
        if (i >= body.Length || body[i] != (byte)'{')
        {
            return false;
        }

        i = JsonValues.SkipWhitespace(body, i + 1);
        if (!body[i..].StartsWith("\"records\""u8))
        {
            return false;
        }

        i = JsonValues.SkipWhitespace(body, i + "\"records\"".Length);
        return i < body.Length && body[i] == (byte)':';
    }

    /// <inheritdoc />
    public void Parse(in TelemetryMessage message, EventBatch batch)
    {
        var body = message.Body.Span;
        var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(Options));
        var record = 0;
        var recordStart = 0;
        var sawRecords = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                batch.Reject(Position(message, 0), Name, "not-an-object", "The body is not a JSON object.", body);
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRecords = reader.ValueTextEquals("records"u8);
                reader.Read();
                if (!isRecords || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                sawRecords = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    recordStart = (int)reader.TokenStartIndex;
                    var isObject = reader.TokenType == JsonTokenType.StartObject;

                    // Skip validates the whole record, so the fresh readers in ParseRecord meet only well-formed JSON.
                    reader.Skip();
                    var recordBytes = body[recordStart..(int)reader.BytesConsumed];
                    if (isObject)
                    {
                        ParseRecord(recordBytes, message, batch, record);
                    }
                    else
                    {
                        batch.Reject(Position(message, record), Name, "not-an-object", "The record is not a JSON object.", recordBytes);
                    }

                    record++;
                }
            }

            // Trailing bytes after the envelope are a syntax error raised here.
            reader.Read();
            if (!sawRecords)
            {
                batch.Reject(Position(message, 0), Name, "missing-records", "The body has no \"records\" array.", body);
            }
        }
        catch (JsonException ex)
        {
            batch.Reject(Position(message, record), Name, "malformed-json",
                $"Syntax error after {record} records; the rest of the body is skipped: {ex.Message}", body[recordStart..]);
        }
    }

    /// <summary>One record: a first pass over its top level, then its <c>properties</c> by category.</summary>
    private void ParseRecord(ReadOnlySpan<byte> json, in TelemetryMessage message, EventBatch batch, int record)
    {
        var position = Position(message, record);
        var top = ReadTopLevel(json);
        var reason = top.Category == Category.Unknown ? "unknown-category"
            : top.TimeState == TimeState.Missing ? "missing-timestamp"
            : top.TimeState == TimeState.Bad ? "bad-timestamp"
            : null;
        if (reason is not null)
        {
            var detail = reason switch
            {
                "unknown-category" => "The record's category is missing or not an Azure Firewall log category.",
                "missing-timestamp" => "The record has no time.",
                _ => "The record's time is not an ISO-8601 time string.",
            };
            batch.Reject(position, Name, reason, detail, json);
            return;
        }

        batch.BeginEvent(position, Name);
        batch.Set(EcsField.ObserverVendor, "Microsoft");
        batch.Set(EcsField.ObserverProduct, "Azure Firewall");
        batch.Set(EcsField.ObserverType, "firewall");
        batch.Set(EcsField.EventModule, "azure-firewall");
        batch.Set(EcsField.EventDataset, DatasetOf(top.Category));
        batch.Set(EcsField.EventCategory, "network");
        var ok = top.ResourceId < 0 || WriteResourceName(json[top.ResourceId..], batch);
        string? failure = ok ? null : "invalid-utf8";
        if (ok)
        {
            failure = top.Properties < 0 ? "missing-properties"
                : IsLegacy(top.Category) ? ReadLegacy(json[top.Properties..], batch)
                : ReadStructured(json[top.Properties..], top.Category, batch);
        }

        if (failure is not null)
        {
            batch.AbortEvent();
            var detail = failure switch
            {
                "unparsable-msg" => "properties.msg matches no known Azure Firewall message shape.",
                "missing-properties" => "The record has no properties object.",
                _ => "A string in the record is not valid UTF-8.",
            };
            batch.Reject(position, Name, failure, detail, json);
            return;
        }

        if (!batch.HasOpen(EcsField.EventKind))
        {
            batch.Set(EcsField.EventKind, IsAlertCategory(top.Category) || top.AlertOperation ? "alert" : "event");
        }

        batch.SetTimestamp(top.Time);
        batch.CommitEvent();
    }

    private static TopLevel ReadTopLevel(ReadOnlySpan<byte> json)
    {
        var top = new TopLevel { ResourceId = -1, Properties = -1 };
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(Options));
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("category"u8))
            {
                reader.Read();
                top.Category = CategoryOf(ref reader);
            }
            else if (reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                top.TimeState = reader.TokenType == JsonTokenType.Null ? TimeState.Missing
                    : JsonValues.TryGetTimestamp(ref reader, out top.Time) ? TimeState.Ok
                    : TimeState.Bad;
            }
            else if (reader.ValueTextEquals("resourceId"u8))
            {
                reader.Read();
                top.ResourceId = reader.TokenType == JsonTokenType.String ? (int)reader.TokenStartIndex : -1;
            }
            else if (reader.ValueTextEquals("operationName"u8))
            {
                reader.Read();
                top.AlertOperation = reader.TokenType == JsonTokenType.String
                    && (reader.ValueTextEquals("AzureFirewallThreatIntelLog"u8) || reader.ValueTextEquals("AzureFirewallIDSLog"u8));
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                top.Properties = reader.TokenType == JsonTokenType.StartObject ? (int)reader.TokenStartIndex : -1;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return top;
    }

    /// <summary>observer.name: the last segment of the resource id (the firewall's name).</summary>
    private static bool WriteResourceName(ReadOnlySpan<byte> json, EventBatch batch)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(Options));
        reader.Read();
        var target = batch.Reserve(reader.ValueSpan.Length);
        if (!JsonValues.TryCopy(ref reader, target, out var written))
        {
            return false;
        }

        // Move the last segment to the start of the reserved span so it can be committed in place.
        var id = target[..written].TrimEnd('/');
        var name = id[(id.LastIndexOf('/') + 1)..];
        name.CopyTo(target);
        batch.CommitReserved(EcsField.ObserverName, JsonValues.Cut(target, name.Length, JsonValues.MaxValueChars));
        return true;
    }

    /// <summary>Legacy categories: find <c>msg</c>, scan it, map its parts. Returns a reject reason or null.</summary>
    private static string? ReadLegacy(ReadOnlySpan<byte> json, EventBatch batch)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(Options));
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMsg = reader.ValueTextEquals("msg"u8);
            reader.Read();
            if (!isMsg || reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                continue;
            }

            return ReadMessage(ref reader, batch);
        }

        return "unparsable-msg";
    }

    /// <summary>Scans the msg the reader is on and maps it. Returns a reject reason or null.</summary>
    private static string? ReadMessage(ref Utf8JsonReader reader, EventBatch batch)
    {
        // The msg is unescaped into scratch, not the arena: arena spans move when later fields are written.
        var length = reader.ValueSpan.Length;
        char[]? rented = null;
        Span<char> scratch = length <= StackMessageChars ? stackalloc char[StackMessageChars] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            if (!JsonValues.TryCopy(ref reader, scratch, out var written))
            {
                return "invalid-utf8";
            }

            var text = scratch[..written];
            if (!AzureFirewallLegacyMessage.TryParse(text, out var parsed))
            {
                return "unparsable-msg";
            }

            MapLegacy(ref parsed, batch);
            batch.Set(EcsField.Message, text[..JsonValues.Cut(text, text.Length, MaxMessageChars)]);
            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static void MapLegacy(ref LegacyMessage m, EventBatch batch)
    {
        switch (m.Kind)
        {
            case LegacyMessageKind.DnsRequest:
                SetEndpoint(batch, m.SourceHost, m.SourcePort, source: true);
                SetDns(batch, m.QueryName, m.QueryType, m.ResponseCode);
                SetProtocol(batch, m.Protocol);
                return;
            case LegacyMessageKind.DnsError:
                SetDns(batch, m.QueryName, m.QueryType, default);
                batch.Set(EcsField.EventOutcome, "failure");
                batch.Set(EcsField.EventReason, m.Error);
                return;
        }

        SetProtocol(batch, m.Protocol);
        SetEndpoint(batch, m.SourceHost, m.SourcePort, source: true);
        SetEndpoint(batch, m.DestinationHost, m.DestinationPort, source: false);
        if (JsonValues.LooksLikeIp(m.TranslatedHost))
        {
            batch.Set(EcsField.DestinationNatIp, m.TranslatedHost);
        }

        if (JsonValues.IsPort(m.TranslatedPort))
        {
            batch.Set(EcsField.DestinationNatPort, m.TranslatedPort);
        }

        SetIfAny(batch, EcsField.UrlOriginal, m.Url);
        SetAction(batch, m.Action);
        SetIfAny(batch, EcsField.RuleRuleset, m.Policy);
        SetIfAny(batch, EcsField.RuleCategory, m.RuleCollection);
        SetIfAny(batch, EcsField.RuleName, m.Rule);
        SetIfAny(batch, EcsField.EventReason, m.Reason);
        if (!m.ThreatIntel.IsEmpty)
        {
            batch.Set(EcsField.RuleCategory, "ThreatIntel");
            batch.Set(EcsField.RuleName, m.ThreatIntel);
            batch.Set(EcsField.EventKind, "alert");
        }

        if (!m.SignatureId.IsEmpty || !m.Signature.IsEmpty)
        {
            SetIfAny(batch, EcsField.RuleId, m.SignatureId);
            SetIfAny(batch, EcsField.RuleName, m.Signature);
            SetIfAny(batch, EcsField.RuleCategory, m.Classification);
            if (JsonValues.IsPort(m.Priority))
            {
                batch.Set(EcsField.EventSeverity, m.Priority);
            }

            batch.Set(EcsField.EventKind, "alert");
        }
    }

    /// <summary>Resource-specific categories: map each known property. Returns a reject reason or null.</summary>
    private static string? ReadStructured(ReadOnlySpan<byte> json, Category category, EventBatch batch)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(Options));
        reader.Read();
        Span<char> name = stackalloc char[32];
        Span<char> protocol = stackalloc char[16];
        Span<char> action = stackalloc char[16];
        var protocolLength = 0;
        var actionLength = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameLength = -1;
            if (reader.ValueSpan.Length <= name.Length && !JsonValues.TryCopy(ref reader, name, out nameLength))
            {
                return "invalid-utf8";
            }

            reader.Read();
            if (nameLength < 0 || reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.Null)
            {
                reader.Skip();
                continue;
            }

            var target = TargetOf(category, name[..nameLength]);
            var ok = true;
            switch (target)
            {
                case Target.Ignore:
                    break;
                case Target.Protocol:
                    ok = TryReadSmall(ref reader, protocol, out protocolLength);
                    break;
                case Target.Action:
                    ok = TryReadSmall(ref reader, action, out actionLength);
                    break;
                case Target.QueryName:
                    ok = WriteQueryName(ref reader, batch);
                    break;
                case Target.Fqdn:
                    ok = JsonValues.TryWriteScalar(ref reader, batch, EcsField.DestinationDomain, skipEmpty: true);
                    if (ok && batch.HasOpen(EcsField.DestinationDomain))
                    {
                        batch.Set(EcsField.UrlDomain, batch.GetOpen(EcsField.DestinationDomain));
                    }

                    break;
                default:
                    ok = JsonValues.TryWriteScalar(ref reader, batch, (EcsField)target, skipEmpty: true);
                    break;
            }

            if (!ok)
            {
                return "invalid-utf8";
            }
        }

        SetProtocol(batch, protocol[..protocolLength]);
        switch (category)
        {
            case Category.DnsQuery:
                batch.Set(EcsField.NetworkProtocol, "dns");
                batch.Set(EcsField.EventType, "protocol");
                if (batch.HasOpen(EcsField.EventReason))
                {
                    batch.Set(EcsField.EventOutcome, "failure");
                }

                break;
            case Category.FqdnResolveFailure:
            case Category.InternalFqdnResolutionFailure:
                batch.Set(EcsField.NetworkProtocol, "dns");
                batch.Set(EcsField.EventType, "protocol");
                batch.Set(EcsField.EventOutcome, "failure");
                break;
            case Category.NatRule:
                SetAction(batch, actionLength > 0 ? action[..actionLength] : "DNAT");
                break;
            default:
                SetAction(batch, action[..actionLength]);
                break;
        }

        if (category == Category.ThreatIntel && batch.HasOpen(EcsField.RuleName))
        {
            batch.Set(EcsField.RuleCategory, "ThreatIntel");
        }

        return null;
    }

    /// <summary>Reads a short keyword (protocol, action); longer values are not keywords and are dropped.</summary>
    private static bool TryReadSmall(ref Utf8JsonReader reader, scoped Span<char> buffer, out int length)
    {
        length = 0;
        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > buffer.Length)
        {
            return true;
        }

        return JsonValues.TryCopy(ref reader, buffer, out length);
    }

    /// <summary>dns.question.name without the root dot, as ECS writes it.</summary>
    private static bool WriteQueryName(ref Utf8JsonReader reader, EventBatch batch)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.IsEmpty)
        {
            return true;
        }

        var target = batch.Reserve(reader.ValueSpan.Length);
        if (!JsonValues.TryCopy(ref reader, target, out var written))
        {
            return false;
        }

        var trimmed = target[..written].TrimEnd('.').Length;
        batch.CommitReserved(EcsField.DnsQuestionName, JsonValues.Cut(target, trimmed, JsonValues.MaxValueChars));
        return true;
    }

    private static void SetDns(EventBatch batch, ReadOnlySpan<char> name, ReadOnlySpan<char> type, ReadOnlySpan<char> responseCode)
    {
        batch.Set(EcsField.NetworkProtocol, "dns");
        batch.Set(EcsField.EventType, "protocol");
        SetIfAny(batch, EcsField.DnsQuestionName, name);
        SetIfAny(batch, EcsField.DnsQuestionType, type);
        SetIfAny(batch, EcsField.DnsResponseCode, responseCode);
    }

    /// <summary>TCP/UDP/ICMP are transports; HTTP(S) are application protocols over TCP; anything else is a protocol.</summary>
    private static void SetProtocol(EventBatch batch, ReadOnlySpan<char> protocol)
    {
        if (protocol.IsEmpty)
        {
            return;
        }

        if (protocol.Equals("TCP", StringComparison.OrdinalIgnoreCase) || protocol.Equals("UDP", StringComparison.OrdinalIgnoreCase)
            || protocol.StartsWith("ICMP", StringComparison.OrdinalIgnoreCase))
        {
            JsonValues.SetLower(batch, EcsField.NetworkTransport, protocol);
            return;
        }

        JsonValues.SetLower(batch, EcsField.NetworkProtocol, protocol);
        if (protocol.StartsWith("HTTP", StringComparison.OrdinalIgnoreCase))
        {
            batch.Set(EcsField.NetworkTransport, "tcp");
        }
    }

    /// <summary>event.action (lower-case), and the event.type / event.outcome it implies.</summary>
    private static void SetAction(EventBatch batch, ReadOnlySpan<char> action)
    {
        if (action.IsEmpty)
        {
            batch.Set(EcsField.EventType, "connection");
            return;
        }

        JsonValues.SetLower(batch, EcsField.EventAction, action);
        if (action.Equals("Allow", StringComparison.OrdinalIgnoreCase))
        {
            batch.Set(EcsField.EventType, "allowed");
            batch.Set(EcsField.EventOutcome, "success");
        }
        else if (action.Equals("Deny", StringComparison.OrdinalIgnoreCase) || action.Equals("Drop", StringComparison.OrdinalIgnoreCase)
            || action.Equals("Block", StringComparison.OrdinalIgnoreCase) || action.Equals("Reject", StringComparison.OrdinalIgnoreCase))
        {
            batch.Set(EcsField.EventType, "denied");
            batch.Set(EcsField.EventOutcome, "failure");
        }
        else if (action.Equals("DNAT", StringComparison.OrdinalIgnoreCase))
        {
            batch.Set(EcsField.EventType, "connection");
            batch.Set(EcsField.EventOutcome, "success");
        }
        else
        {
            // "Alert" (threat intel / IDPS in alert mode): the traffic passed, the verdict is the alert itself.
            batch.Set(EcsField.EventType, "connection");
            batch.Set(EcsField.EventOutcome, "unknown");
        }
    }

    /// <summary>An IP goes to *.ip; a name goes to *.domain (and url.domain for destinations).</summary>
    private static void SetEndpoint(EventBatch batch, ReadOnlySpan<char> host, ReadOnlySpan<char> port, bool source)
    {
        if (!host.IsEmpty)
        {
            if (JsonValues.LooksLikeIp(host))
            {
                batch.Set(source ? EcsField.SourceIp : EcsField.DestinationIp, host);
            }
            else
            {
                batch.Set(source ? EcsField.SourceDomain : EcsField.DestinationDomain, host);
                if (!source)
                {
                    batch.Set(EcsField.UrlDomain, host);
                }
            }
        }

        if (JsonValues.IsPort(port))
        {
            batch.Set(source ? EcsField.SourcePort : EcsField.DestinationPort, port);
        }
    }

    private static void SetIfAny(EventBatch batch, EcsField field, ReadOnlySpan<char> value)
    {
        if (!value.IsEmpty)
        {
            batch.Set(field, value);
        }
    }

    private static Category CategoryOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return Category.Unknown;
        }

        for (var i = 1; i < CategoryNames.Length; i++)
        {
            if (reader.ValueTextEquals(CategoryNames[i]))
            {
                return (Category)i;
            }
        }

        return Category.Unknown;
    }

    // Legacy threat intel, IDS and NAT lines arrive under the network/application categories; operationName tells them apart.
    private static bool IsLegacy(Category category) => category is Category.LegacyNetworkRule or Category.LegacyApplicationRule
        or Category.LegacyDnsProxy;

    private static bool IsAlertCategory(Category category) => category is Category.ThreatIntel or Category.IdpsSignature;

    private static string DatasetOf(Category category) => Datasets[(int)category];

    /// <summary>Where a structured property goes: an <see cref="EcsField"/> (as the enum's value) or a special handler.</summary>
    private static Target TargetOf(Category category, ReadOnlySpan<char> name)
    {
        switch (name)
        {
            case "Protocol": return Target.Protocol;
            case "SourceIp": return (Target)EcsField.SourceIp;
            case "SourcePort": return (Target)EcsField.SourcePort;
            case "DestinationIp": return (Target)EcsField.DestinationIp;
            case "DestinationPort": return (Target)EcsField.DestinationPort;
            case "Action": return Target.Action;
            case "Policy": return (Target)EcsField.RuleRuleset;
            case "RuleCollection": return (Target)EcsField.RuleCategory;
            case "Rule": return (Target)EcsField.RuleName;
            case "ActionReason": return (Target)EcsField.EventReason;
            case "TargetUrl": return (Target)EcsField.UrlOriginal;
            case "ThreatDescription": return (Target)EcsField.RuleName;
            case "SignatureId": return (Target)EcsField.RuleId;
            case "Category": return (Target)EcsField.RuleCategory;
            case "Description": return (Target)EcsField.RuleName;
            case "Severity": return (Target)EcsField.EventSeverity;
            case "QueryName": return Target.QueryName;
            case "QueryType": return (Target)EcsField.DnsQuestionType;
            case "ResponseCode": return (Target)EcsField.DnsResponseCode;
            case "ErrorMessage": return (Target)EcsField.EventReason;
            case "Error": return (Target)EcsField.EventReason;
            case "ServerIp":
            case "ResolverIp": return (Target)EcsField.DestinationIp;
            case "ServerPort": return (Target)EcsField.DestinationPort;
            case "TranslatedIp": return (Target)EcsField.DestinationNatIp;
            case "TranslatedPort": return (Target)EcsField.DestinationNatPort;

            // A flow trace's TCP flag (SYN, SYN-ACK, FIN, FIN-ACK, RST, INVALID) is what happened to the connection.
            case "Flag": return category == Category.FlowTrace ? Target.Action : Target.Ignore;
            case "Fqdn":
                // A resolve failure's Fqdn is the name that failed to resolve, not a connection target.
                return category is Category.FqdnResolveFailure or Category.InternalFqdnResolutionFailure
                    ? Target.QueryName
                    : Target.Fqdn;
            default: return Target.Ignore;
        }
    }

    private static SourcePosition Position(in TelemetryMessage message, int record) => new(message.Stream, message.Sequence, record);

    private enum Category : byte
    {
        Unknown,
        NetworkRule,
        ApplicationRule,
        NatRule,
        ThreatIntel,
        IdpsSignature,
        DnsQuery,
        FqdnResolveFailure,
        InternalFqdnResolutionFailure,
        LegacyNetworkRule,
        LegacyApplicationRule,
        LegacyDnsProxy,
        FlowTrace,
        FatFlow,
    }

    // Indexed by Category; names exactly as Azure writes them.
    private static readonly string[] CategoryNames =
    [
        string.Empty,
        "AZFWNetworkRule",
        "AZFWApplicationRule",
        "AZFWNatRule",
        "AZFWThreatIntel",
        "AZFWIdpsSignature",
        "AZFWDnsQuery",
        "AZFWFqdnResolveFailure",
        "AZFWInternalFqdnResolutionFailure",
        "AzureFirewallNetworkRule",
        "AzureFirewallApplicationRule",
        "AzureFirewallDnsProxy",
        "AZFWFlowTrace",
        "AZFWFatFlow",
    ];

    // Precomputed so no record lower-cases its category.
    private static readonly string[] Datasets = [.. CategoryNames.Select(n => "azure.firewall." + n.ToLowerInvariant())];

    private enum TimeState : byte
    {
        Missing,
        Ok,
        Bad,
    }

    // Values below EcsField.Count are EcsFields; the rest need handling of their own.
    private enum Target : byte
    {
        Ignore = 200,
        Protocol,
        Action,
        QueryName,
        Fqdn,
    }

    private struct TopLevel
    {
        public Category Category;
        public TimeState TimeState;
        public DateTimeOffset Time;
        public int ResourceId;
        public int Properties;
        public bool AlertOperation;
    }
}
