"""The read side, pure: the pages' values and the functions that shape them from what the store
read. Nothing here opens a session, queries or writes: `gate.pages` fetches through
`gate.store` and hands the values over.
"""
