/* a shared object that is not a dissector at all */
int no_entry_marker(void);
int
no_entry_marker(void)
{
    return 42;
}
