using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>
/// Links correlation rules to the rules they name (by id or Sigma <c>name</c>), resolves group-by fields through
/// aliases, orders chained correlations so inner ones run first, and decides which referenced rules still raise
/// alerts of their own (Sigma <c>generate</c>). A correlation that cannot be linked is reported and skipped.
/// </summary>
public static class CorrelationLinker
{
    /// <summary>
    /// Links <paramref name="correlations"/> over <paramref name="eventRules"/>; problems go to <paramref name="errors"/>.
    /// Event rules that only feed correlations get <see cref="ActiveRule.Generates"/> false in the returned list.
    /// </summary>
    public static (ActiveRule[] EventRules, CompiledCorrelation[] Correlations) Link(
        IReadOnlyList<ActiveRule> eventRules, IReadOnlyList<ActiveRule> correlations, List<RuleLoadError> errors)
    {
        var byKey = new Dictionary<string, (bool IsCorrelation, int Index)>(StringComparer.Ordinal);
        for (var i = 0; i < eventRules.Count; i++)
        {
            Register(eventRules[i].Rule, false, i);
        }

        for (var i = 0; i < correlations.Count; i++)
        {
            Register(correlations[i].Rule, true, i);
        }

        // Order correlations so each comes after the correlations it reads; drop cycles and broken links.
        var order = new List<int>();
        var state = new int[correlations.Count]; // 0 new, 1 visiting, 2 done, 3 failed
        for (var i = 0; i < correlations.Count; i++)
        {
            Visit(i);
        }

        var compiled = new List<CompiledCorrelation>();
        var compiledIndex = new Dictionary<int, int>();
        foreach (var i in order)
        {
            var active = correlations[i];
            var result = TryCompile(active, compiledIndex, compiled);
            if (result is null)
            {
                continue;
            }

            compiledIndex[i] = compiled.Count;
            compiled.Add(result);
        }

        // Sigma generate: a referenced rule raises its own alerts only if some correlation that reads it asks for that.
        var eventGenerates = new bool?[eventRules.Count];
        var correlationGenerates = new bool?[compiled.Count];
        foreach (var correlation in compiled)
        {
            foreach (var input in correlation.Inputs)
            {
                if (input.EventRuleIndex >= 0)
                {
                    eventGenerates[input.EventRuleIndex] = (eventGenerates[input.EventRuleIndex] ?? false) || correlation.Definition.Generate;
                }
                else
                {
                    correlationGenerates[input.CorrelationIndex] = (correlationGenerates[input.CorrelationIndex] ?? false) || correlation.Definition.Generate;
                }
            }
        }

        for (var i = 0; i < compiled.Count; i++)
        {
            compiled[i].Generates = correlationGenerates[i] ?? true;
        }

        var linkedEventRules = new ActiveRule[eventRules.Count];
        for (var i = 0; i < eventRules.Count; i++)
        {
            linkedEventRules[i] = eventGenerates[i] is false ? eventRules[i] with { Generates = false } : eventRules[i];
        }

        return (linkedEventRules, [.. compiled]);

        void Register(CompiledRule rule, bool isCorrelation, int index)
        {
            byKey.TryAdd(rule.Id, (isCorrelation, index));
            if (rule.Name is { } name)
            {
                byKey.TryAdd(name, (isCorrelation, index));
            }
        }

        bool Visit(int i)
        {
            switch (state[i])
            {
                case 1:
                    return Fail(i, "correlation rules refer to each other in a cycle");
                case 2:
                    return true;
                case 3:
                    return false;
            }

            state[i] = 1;
            foreach (var reference in correlations[i].Rule.Correlation!.Rules)
            {
                if (!byKey.TryGetValue(reference, out var target))
                {
                    return Fail(i, $"refers to rule '{reference}', which is not an enabled, compiled rule of this rule set");
                }

                if (target.IsCorrelation && !Visit(target.Index))
                {
                    return Fail(i, $"refers to correlation '{reference}', which is skipped");
                }
            }

            state[i] = 2;
            order.Add(i);
            return true;
        }

        bool Fail(int i, string problem)
        {
            if (state[i] != 3)
            {
                state[i] = 3;
                var rule = correlations[i];
                errors.Add(new RuleLoadError(rule.Pack, rule.Rule.Id, 1, 1, problem));
            }

            return false;
        }

        CompiledCorrelation? TryCompile(ActiveRule active, Dictionary<int, int> linked, List<CompiledCorrelation> done)
        {
            var definition = active.Rule.Correlation!;
            var inputs = new CorrelationInput[definition.Rules.Count];
            var fingerprint = new Fnv64();
            fingerprint = fingerprint.Add((int)definition.Type).Add(definition.Condition.IsMonotonic ? 1 : 0).Add(definition.Timespan.Ticks).Add(definition.ValueField ?? string.Empty);
            foreach (var name in definition.GroupBy)
            {
                fingerprint = fingerprint.Add(name);
            }

            for (var r = 0; r < definition.Rules.Count; r++)
            {
                var reference = definition.Rules[r];
                var (isCorrelation, index) = byKey[reference];
                string? problem;
                if (isCorrelation)
                {
                    var inner = done[linked[index]];
                    inputs[r] = LinkInner(definition, reference, inner, linked[index], out problem);
                }
                else
                {
                    inputs[r] = LinkEvents(definition, reference, eventRules[index].Rule, index, out problem);
                }

                if (problem is not null)
                {
                    errors.Add(new RuleLoadError(active.Pack, active.Rule.Id, 1, 1, problem));
                    return null;
                }

                fingerprint = fingerprint.Add(inputs[r].RuleId);
                foreach (var field in inputs[r].GroupFields)
                {
                    fingerprint = fingerprint.Add((int)field);
                }
            }

            return new CompiledCorrelation(active, inputs, fingerprint.Value);
        }
    }

    private static CorrelationInput LinkEvents(CorrelationDefinition definition, string reference, CompiledRule rule, int index, out string? problem)
    {
        problem = null;
        var groupFields = new EcsField[definition.GroupBy.Count];
        for (var g = 0; g < groupFields.Length; g++)
        {
            var fieldName = FieldFor(definition, definition.GroupBy[g], rule, reference);
            if (fieldName is null)
            {
                problem = $"alias '{definition.GroupBy[g]}' names no field for rule '{reference}'";
                return new CorrelationInput { RuleId = rule.Id };
            }

            if (!SigmaFieldMap.TryResolve(fieldName, out groupFields[g]))
            {
                problem = $"group-by field '{fieldName}' (for rule '{reference}') is not a known field";
                return new CorrelationInput { RuleId = rule.Id };
            }
        }

        var valueFields = Array.Empty<EcsField>();
        if (definition.ValueField is { } valueField)
        {
            var names = valueField.Split('\u001f');
            valueFields = new EcsField[names.Length];
            for (var v = 0; v < names.Length; v++)
            {
                if (!SigmaFieldMap.TryResolve(names[v], out valueFields[v]))
                {
                    problem = $"condition.field '{names[v]}' is not a known field";
                    return new CorrelationInput { RuleId = rule.Id };
                }
            }
        }

        return new CorrelationInput { RuleId = rule.Id, EventRuleIndex = index, GroupFields = groupFields, ValueFields = valueFields };
    }

    private static CorrelationInput LinkInner(CorrelationDefinition definition, string reference, CompiledCorrelation inner, int index, out string? problem)
    {
        problem = null;
        var positions = new int[definition.GroupBy.Count];
        for (var g = 0; g < positions.Length; g++)
        {
            var name = FieldFor(definition, definition.GroupBy[g], inner.Rule.Rule, reference) ?? definition.GroupBy[g];
            positions[g] = IndexOf(inner.GroupNames, name);
            if (positions[g] < 0)
            {
                problem = $"group-by '{definition.GroupBy[g]}' is not among the groups of correlation '{reference}' ({string.Join(", ", inner.GroupNames)})";
                return new CorrelationInput { RuleId = inner.Id };
            }
        }

        var valuePositions = Array.Empty<int>();
        if (definition.ValueField is { } valueField)
        {
            var names = valueField.Split('\u001f');
            valuePositions = new int[names.Length];
            for (var v = 0; v < names.Length; v++)
            {
                valuePositions[v] = IndexOf(inner.GroupNames, names[v]);
                if (valuePositions[v] < 0)
                {
                    problem = $"condition.field '{names[v]}' is not among the groups of correlation '{reference}'";
                    return new CorrelationInput { RuleId = inner.Id };
                }
            }
        }

        return new CorrelationInput { RuleId = inner.Id, CorrelationIndex = index, InnerGroupPositions = positions, InnerValuePositions = valuePositions };
    }

    /// <summary>The field a group name stands for in one referenced rule: its alias entry, else the name itself.</summary>
    private static string? FieldFor(CorrelationDefinition definition, string groupName, CompiledRule rule, string reference)
    {
        if (!definition.Aliases.TryGetValue(groupName, out var perRule))
        {
            return groupName;
        }

        if (perRule.TryGetValue(reference, out var field)
            || (rule.Name is { } name && perRule.TryGetValue(name, out field))
            || perRule.TryGetValue(rule.Id, out field))
        {
            return field;
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
