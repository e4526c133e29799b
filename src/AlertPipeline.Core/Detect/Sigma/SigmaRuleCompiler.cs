using AlertPipeline.Core.Events;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// Compiles one Sigma rule (YAML) into a <see cref="CompiledRule"/>: metadata, a log-source predicate and a tree of
/// sealed matchers built once. What is supported is listed in docs/sigma.md.
/// </summary>
public static class SigmaRuleCompiler
{
    /// <summary>Parses and compiles one Sigma rule; throws <see cref="RuleCompileException"/> with its location.</summary>
    /// <remarks>A rule for a log source we do not ingest throws too (<c>unsupported logsource (…)</c>), so stores refuse it.</remarks>
    public static CompiledRule Compile(string yaml) => Compile(yaml, null);

    /// <summary>
    /// Parses and compiles one Sigma rule, expanding <c>|expand</c> placeholders from <paramref name="placeholders"/>;
    /// throws <see cref="RuleCompileException"/> for an invalid or unsupported rule.
    /// </summary>
    public static CompiledRule Compile(string yaml, SigmaPlaceholders? placeholders)
    {
        var result = Check(yaml, placeholders);
        return result.Rule ?? throw result.Problem!;
    }

    /// <summary>
    /// Checks one Sigma rule without throwing: <see cref="SigmaRuleStatus.Ok"/> with the compiled rule,
    /// <see cref="SigmaRuleStatus.Unsupported"/> for a valid rule whose log source we do not ingest (its detection is
    /// still compiled, so real errors surface as <see cref="SigmaRuleStatus.Error"/>), or <see cref="SigmaRuleStatus.Error"/>.
    /// </summary>
    public static SigmaCheckResult Check(string yaml, SigmaPlaceholders? placeholders = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        try
        {
            var stream = Load(yaml);
            if (stream.Documents.Count > 1)
            {
                // A stored row holds one rule; a rule collection is split into rows by CheckDocuments.
                var second = stream.Documents[1].RootNode;
                throw new RuleCompileException(IdOf(stream.Documents[0].RootNode), (int)second.Start.Line, (int)second.Start.Column,
                    "one rule per document: a rule collection (several YAML documents) must be split, e.g. by 'alertpipe rules push'");
            }

            return CheckDocument(stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode, placeholders ?? SigmaPlaceholders.None);
        }
        catch (RuleCompileException ex)
        {
            return new SigmaCheckResult(SigmaRuleStatus.Error, ex.RuleId, null, ex);
        }
    }

    /// <summary>
    /// Checks every document of a rule collection (YAML documents separated by <c>---</c>, as correlation rules
    /// are usually shipped) on its own: each outcome carries the document's own text, to be stored as one row,
    /// and its result, located in the whole file. A YAML syntax error makes one error for the whole file.
    /// </summary>
    public static IReadOnlyList<SigmaDocument> CheckDocuments(string yaml, SigmaPlaceholders? placeholders = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        YamlStream stream;
        try
        {
            stream = Load(yaml);
        }
        catch (RuleCompileException ex)
        {
            return [new SigmaDocument(1, yaml, new SigmaCheckResult(SigmaRuleStatus.Error, null, null, ex))];
        }

        var texts = SplitDocuments(yaml);
        var documents = new List<SigmaDocument>(stream.Documents.Count);
        for (var d = 0; d < stream.Documents.Count; d++)
        {
            var root = stream.Documents[d].RootNode;

            // The parser accepted the file, so its documents are the text between '---' lines; keep each one's own text.
            var text = texts.Count == stream.Documents.Count ? texts[d] : yaml;
            SigmaCheckResult result;
            try
            {
                result = CheckDocument(root, placeholders ?? SigmaPlaceholders.None);
            }
            catch (RuleCompileException ex)
            {
                result = new SigmaCheckResult(SigmaRuleStatus.Error, ex.RuleId, null, ex);
            }

            documents.Add(new SigmaDocument((int)root.Start.Line, text, result));
        }

        return documents;
    }

    /// <summary>The text of each document: split at lines that are exactly <c>---</c>, empty documents dropped.</summary>
    private static List<string> SplitDocuments(string yaml)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var line in yaml.Split('\n'))
        {
            if (line.TrimEnd('\r', ' ', '\t') == "---")
            {
                Flush();
                continue;
            }

            current.Append(line).Append('\n');
        }

        Flush();
        return parts;

        void Flush()
        {
            var text = current.ToString();
            current.Clear();
            if (text.Split('\n').Any(l => l.TrimStart().Length > 0 && !l.TrimStart().StartsWith('#')))
            {
                parts.Add(text);
            }
        }
    }

    private static YamlStream Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RuleCompileException(null, (int)ex.Start.Line, (int)ex.Start.Column, "invalid YAML: " + YamlProblem(ex), ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet reports some truncated input (an unclosed flow sequence) this way, without a mark.
            var lastLine = yaml.TrimEnd('\n', '\r').Split('\n').Length;
            throw new RuleCompileException(null, lastLine, 0, "invalid YAML: unexpected end of input (" + ex.Message + ")", ex);
        }

        return stream;
    }

    private static string? IdOf(YamlNode node)
        => node is YamlMappingNode map && Scalar(map, "id")?.Value is { } id && !string.IsNullOrWhiteSpace(id) ? id.Trim() : null;

    private static SigmaCheckResult CheckDocument(YamlNode? rootNode, SigmaPlaceholders placeholders)
    {
        if (rootNode is not YamlMappingNode root)
        {
            var at = rootNode?.Start ?? Mark.Empty;
            throw new RuleCompileException(null, (int)at.Line, (int)at.Column, "a Sigma rule must be a YAML mapping");
        }

        var id = Scalar(root, "id")?.Value;
        var ctx = new SigmaRuleContext(string.IsNullOrWhiteSpace(id) ? null : id.Trim(), placeholders);

        if (ctx.RuleId is null)
        {
            throw ctx.Fail(Child(root, "id") ?? root, "missing id");
        }

        var title = Scalar(root, "title")?.Value;
        if (string.IsNullOrWhiteSpace(title))
        {
            throw ctx.Fail(Child(root, "title") ?? root, "missing title");
        }

        var level = AlertLevel.Medium;
        if (Child(root, "level") is { } levelNode)
        {
            if (levelNode is not YamlScalarNode levelScalar || !AlertLevels.TryParse(levelScalar.Value, out level))
            {
                throw ctx.Fail(levelNode, $"bad level '{(levelNode as YamlScalarNode)?.Value}'; expected informational, low, medium, high or critical");
            }
        }

        var name = Scalar(root, "name")?.Value is { Length: > 0 } n ? n.Trim() : null;
        if (Child(root, "correlation") is { } correlationNode)
        {
            var definition = SigmaCorrelationCompiler.Compile(ctx, root, correlationNode);
            return Ok(CorrelationOnlyMatcher.Instance, new RuleParts(Correlation: definition));
        }

        var logSource = ReadLogSource(ctx, root, out var logSourceNode);
        var ingested = SigmaLogSources.TryCompile(logSource, out var predicate, out var logSourceProblem);

        // A source we do not ingest names fields we do not carry (Windows, cloud audit logs); those are not errors,
        // but the detection is still compiled so that real problems (bad modifiers, regexes, conditions) surface.
        ctx.ForeignFields = !ingested;

        if (Child(root, "detection") is not { } detectionNode)
        {
            throw ctx.Fail(root, "missing detection");
        }

        if (detectionNode is not YamlMappingNode detection)
        {
            throw ctx.Fail(detectionNode, "detection must be a mapping of selections and a condition");
        }

        var fields = new HashSet<EcsField>();
        var matcher = SigmaDetection.Compile(ctx, detection, fields);
        if (!ingested)
        {
            return new SigmaCheckResult(SigmaRuleStatus.Unsupported, ctx.RuleId, null, ctx.Fail(logSourceNode, logSourceProblem));
        }

        if (ctx.UnsupportedField is { } unsupportedField)
        {
            return new SigmaCheckResult(SigmaRuleStatus.Unsupported, ctx.RuleId, null, unsupportedField);
        }

        var detectionMatcher = matcher;
        if (predicate is not null)
        {
            matcher = new AndMatcher([predicate, matcher]);
        }

        AddEvidenceFields(root, fields);
        var fieldList = new List<EcsField>(fields);
        fieldList.Sort();
        return Ok(matcher, new RuleParts(LogSource: logSource, LogSourceMatcher: predicate, DetectionMatcher: detectionMatcher, Fields: fieldList));

        // The metadata every rule carries, correlation or not, read in one place.
        SigmaCheckResult Ok(EventMatcher ruleMatcher, RuleParts parts)
        {
            var rule = new CompiledRule(ctx.RuleId, title.Trim(), level, ruleMatcher)
            {
                Name = name,
                Status = Scalar(root, "status")?.Value,
                Description = Scalar(root, "description")?.Value,
                Tags = StringList(ctx, root, "tags"),
                References = StringList(ctx, root, "references"),
                FalsePositives = StringList(ctx, root, "falsepositives"),
                Correlation = parts.Correlation,
                LogSource = parts.LogSource ?? new LogSource(null, null, null),
                LogSourceMatcher = parts.LogSourceMatcher,
                DetectionMatcher = parts.DetectionMatcher,
                Fields = parts.Fields ?? [],
            };
            return new SigmaCheckResult(SigmaRuleStatus.Ok, rule.Id, rule, null);
        }
    }

    /// <summary>What differs between a rule over single events and a correlation rule.</summary>
    private sealed record RuleParts(
        Correlation.CorrelationDefinition? Correlation = null,
        LogSource? LogSource = null,
        EventMatcher? LogSourceMatcher = null,
        EventMatcher? DetectionMatcher = null,
        IReadOnlyList<EcsField>? Fields = null);

    private static LogSource ReadLogSource(SigmaRuleContext ctx, YamlMappingNode root, out YamlNode node)
    {
        var child = Child(root, "logsource");
        node = child ?? root;
        if (child is null)
        {
            return new LogSource(null, null, null);
        }

        if (child is not YamlMappingNode map)
        {
            throw ctx.Fail(child, "logsource must be a mapping");
        }

        return new LogSource(Scalar(map, "category")?.Value, Scalar(map, "product")?.Value, Scalar(map, "service")?.Value);
    }

    /// <summary>
    /// Sigma's <c>fields</c> (what an analyst wants to see beside a match) join the evidence alerts copy. Names are
    /// resolved like detection fields; a name we do not carry (a Windows field of a SigmaHQ rule) or an odd shape is
    /// ignored, as the key was before, so no rule that loaded stops loading.
    /// </summary>
    private static void AddEvidenceFields(YamlMappingNode root, HashSet<EcsField> fields)
    {
        if (Child(root, "fields") is not YamlSequenceNode list)
        {
            return;
        }

        foreach (var item in list.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } name } && SigmaFieldMap.TryResolve(name.Trim(), out var field))
            {
                fields.Add(field);
            }
        }
    }

    private static IReadOnlyList<string> StringList(SigmaRuleContext ctx, YamlMappingNode map, string key)
    {
        switch (Child(map, key))
        {
            case null:
                return [];
            case YamlScalarNode scalar:
                return string.IsNullOrEmpty(scalar.Value) ? [] : [scalar.Value];
            case YamlSequenceNode sequence:
                var list = new List<string>(sequence.Children.Count);
                foreach (var item in sequence.Children)
                {
                    if (item is not YamlScalarNode s)
                    {
                        throw ctx.Fail(item, $"{key} must be a list of strings");
                    }

                    if (!string.IsNullOrEmpty(s.Value))
                    {
                        list.Add(s.Value);
                    }
                }

                return list;
            case var other:
                throw ctx.Fail(other, $"{key} must be a list of strings");
        }
    }

    internal static YamlNode? Child(YamlMappingNode map, string key)
    {
        foreach (var pair in map.Children)
        {
            if (pair.Key is YamlScalarNode k && k.Value == key)
            {
                return pair.Value;
            }
        }

        return null;
    }

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key) => Child(map, key) as YamlScalarNode;

    private static string YamlProblem(YamlException ex)
    {
        // YamlDotNet prefixes its message with the location, which the exception already carries.
        var message = ex.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}

/// <summary>The rule being compiled: its id, for locating errors, and what the detection may use.</summary>
internal sealed class SigmaRuleContext(string? ruleId, SigmaPlaceholders placeholders)
{
    public string? RuleId { get; } = ruleId;

    /// <summary>Values for <c>|expand</c> placeholders.</summary>
    public SigmaPlaceholders Placeholders { get; } = placeholders;

    /// <summary>
    /// True when the log source is not ingested: field names unknown to <see cref="SigmaFieldMap"/> are then
    /// accepted (the rule is only checked, never evaluated).
    /// </summary>
    public bool ForeignFields { get; set; }

    /// <summary>The first taxonomy field of an ingested source that we do not carry: the rule is then unsupported.</summary>
    public RuleCompileException? UnsupportedField { get; set; }

    public RuleCompileException Fail(YamlNode node, string problem)
        => new(RuleId, (int)node.Start.Line, (int)node.Start.Column, problem);

    public RuleCompileException Fail(int line, int column, string problem) => new(RuleId, line, column, problem);
}
