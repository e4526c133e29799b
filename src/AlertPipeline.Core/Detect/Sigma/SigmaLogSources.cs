using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// The log sources AlertPipeline ingests, and the event predicate each one adds to a rule (ANDed with its
/// detection). Keep in step with the table in docs/sigma.md; a new source is one row.
/// </summary>
internal static class SigmaLogSources
{
    /// <summary>Products whose standard categories map onto our telemetry.</summary>
    private static readonly string[] GenericProducts = ["linux", "azure", "sandbox"];

    private sealed record Row(string Category, string[] Products, bool ProductOptional, Func<EventMatcher> Predicate);

    private static readonly Row[] Rows =
    [
        new("process_creation", GenericProducts, true, () => And(FieldIs(EcsField.EventCategory, "process"), FieldIs(EcsField.EventType, "start"))),
        new("network_connection", GenericProducts, true, () => FieldIs(EcsField.EventCategory, "network")),
        new("firewall", GenericProducts, true, () => FieldIs(EcsField.ObserverType, "firewall")),
        new("dns", GenericProducts, true, () => new FieldPresentMatcher(EcsField.DnsQuestionName)),
        new("dns_query", GenericProducts, true, () => new FieldPresentMatcher(EcsField.DnsQuestionName)),
        new("gpu", ["sandbox"], false, () => FieldIs(EcsField.EventDataset, "gpu.metrics")),
        new("tool_call", ["sandbox"], false, () => FieldIs(EcsField.EventDataset, "sandbox.tool_call")),
        new("heartbeat", ["sandbox"], false, () => FieldIs(EcsField.EventDataset, "sandbox.heartbeat")),
    ];

    /// <summary>
    /// The predicate for <paramref name="source"/>: null when it adds none, false with a reason when we do not
    /// ingest that source.
    /// </summary>
    public static bool TryCompile(LogSource source, out EventMatcher? predicate, out string problem)
    {
        predicate = null;
        problem = "";
        var category = source.Category?.Trim().ToLowerInvariant();
        var product = source.Product?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(source.Service))
        {
            problem = $"unsupported logsource (service '{source.Service}' is not ingested)";
            return false;
        }

        if (string.IsNullOrEmpty(category))
        {
            if (string.IsNullOrEmpty(product) || product == "sandbox")
            {
                return true;
            }

            problem = $"unsupported logsource (product '{source.Product}' without a category)";
            return false;
        }

        foreach (var row in Rows)
        {
            if (row.Category != category)
            {
                continue;
            }

            if ((string.IsNullOrEmpty(product) && row.ProductOptional) || (product is not null && Array.IndexOf(row.Products, product) >= 0))
            {
                predicate = row.Predicate();
                return true;
            }

            problem = $"unsupported logsource (category '{source.Category}' with product '{source.Product ?? "<none>"}')";
            return false;
        }

        problem = $"unsupported logsource (category '{source.Category}'" + (product is null ? ")" : $", product '{source.Product}')");
        return false;
    }

    private static EventMatcher FieldIs(EcsField field, string value)
        => new FieldValueMatcher(field, [new WildcardTest(SigmaString.FromLiteral(value), cased: false)], all: false);

    private static EventMatcher And(params EventMatcher[] children) => new AndMatcher(children);
}
