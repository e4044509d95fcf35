using Catalog.Conventions;
using JasperFx.CommandLine;

namespace Catalog.Hosting;

/// <summary>How the admin commands talk: JSON as the last line of standard output, failures as one line on standard error.</summary>
public static class CommandOutput
{
    public static void Json(object value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value, ApiJson.Options));
        Console.Out.Flush();
    }

    /// <summary>Runs a command's work; an operator's mistake or an unreachable database is one line and a non-zero exit.</summary>
    public static async Task<bool> Run(Func<Task> work)
    {
        try
        {
            await work();
            return true;
        }
        catch (AdministrationException e)
        {
            return Fail(e.Message);
        }
        catch (Exception e) when (e.Find<PostgresException>() is { SqlState: PostgresErrorCodes.UndefinedTable })
        {
            return Fail("the database schema is missing: run 'db-apply' first");
        }
        catch (Exception e) when (e.Find<NpgsqlException>() is { } npgsql)
        {
            return Fail($"cannot use the database: {npgsql.Message.ReplaceLineEndings(" ")}");
        }
    }

    public static bool Fail(string message)
    {
        Console.Error.WriteLine(message);
        return false;
    }
}

/// <summary>What every admin command takes: <c>--json</c>, and the host's own flags.</summary>
public class CommandInput : NetCoreInput
{
    [Description("Print the result as one JSON object on the last line")]
    public bool JsonFlag { get; set; }
}

/// <summary>A request an operator made that cannot be carried out; its message is one line for the terminal.</summary>
public class AdministrationException(string message) : Exception(message);
