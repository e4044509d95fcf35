namespace Catalog.Conventions;

public static class Exceptions
{
    /// <summary>The first <typeparamref name="T"/> among inner exceptions and aggregates: Marten and Wolverine wrap Npgsql's.</summary>
    public static T? Find<T>(this Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
            if (e is AggregateException aggregate)
                return aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null);
        }
        return null;
    }
}
