using System.Text;

namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>
/// Whether a process's command line runs what a tool call asked for. Both are compared without quotes and with
/// whitespace collapsed; a shell wrapper (<c>bash -lc "…"</c>, <c>sh -c …</c>) is taken off the command line. They
/// match when one holds the other (an input of several commands starts several processes; a runtime may prefix
/// <c>cd</c>), with at least <see cref="MinLength"/> characters in common so <c>ls</c> matches nothing by accident,
/// or when a sensor cut the command line with <c>...</c> and the input starts with what is left.
/// </summary>
public static class CommandLineMatch
{
    /// <summary>Fewest characters the shorter side must have.</summary>
    public const int MinLength = 8;

    private static readonly string[] Shells = ["bash", "sh", "zsh", "dash", "ash"];

    /// <summary>True when <paramref name="commandLine"/> runs (part of) <paramref name="toolInput"/>.</summary>
    public static bool Matches(string? toolInput, string? commandLine)
    {
        if (string.IsNullOrWhiteSpace(toolInput) || string.IsNullOrWhiteSpace(commandLine))
        {
            return false;
        }

        var input = Normalize(toolInput);
        var command = Unwrap(Normalize(commandLine));
        if (command.EndsWith("...", StringComparison.Ordinal) || command.EndsWith('…'))
        {
            var kept = command.TrimEnd('.', '…').TrimEnd();
            return kept.Length >= MinLength && input.StartsWith(kept, StringComparison.Ordinal);
        }

        return Math.Min(input.Length, command.Length) >= MinLength
            && (input.Contains(command, StringComparison.Ordinal) || command.Contains(input, StringComparison.Ordinal));
    }

    /// <summary>Quotes removed, runs of whitespace as one space, trimmed.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (c is '"' or '\'')
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    // "bash -lc X" / "/bin/sh -c X" -> "X".
    private static string Unwrap(string command)
    {
        var first = command.IndexOf(' ', StringComparison.Ordinal);
        if (first < 0)
        {
            return command;
        }

        var program = command[..first];
        var slash = program.LastIndexOf('/');
        if (!Shells.Contains(slash >= 0 ? program[(slash + 1)..] : program, StringComparer.Ordinal))
        {
            return command;
        }

        var second = command.IndexOf(' ', first + 1);
        if (second < 0)
        {
            return command;
        }

        var option = command[(first + 1)..second];
        return option.Length >= 2 && option[0] == '-' && option.Contains('c', StringComparison.Ordinal) ? command[(second + 1)..] : command;
    }
}
