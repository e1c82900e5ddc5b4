package httpx

// Input and output shapes shared by the API operations of every capability.

// IDPath is an operation's input naming one record by its id.
type IDPath struct {
	ID string `path:"id" maxLength:"64"`
}

// Body is an operation's input or output made of a JSON body only.
type Body[T any] struct{ Body T }
