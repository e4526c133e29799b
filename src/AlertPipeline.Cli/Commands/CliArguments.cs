namespace AlertPipeline.Cli.Commands;

/// <summary>A bad command line; reported as one line on stderr with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small, strict argument reader: <c>--name value</c> options, <c>--flag</c> switches and positionals.
/// Unknown options are errors, so a typo never silently changes what a replay or a push does.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];

    public CliArguments(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (arg == "--")
            {
                while (e.MoveNext())
                {
                    _positionals.Add(e.Current);
                }

                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                _positionals.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? inlineValue = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                _options[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                if (inlineValue is null)
                {
                    if (!e.MoveNext())
                    {
                        throw new UsageException($"option --{name} needs a value");
                    }

                    inlineValue = e.Current;
                }

                _options[name] = inlineValue;
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Value(string name) => _options.GetValueOrDefault(name);
}
