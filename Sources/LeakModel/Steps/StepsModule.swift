/// The step rules of DESIGN.md section 3 as guarded commands over one declared list of state
/// variables, shared by the SMT encoding and the Promela export (issue 13, part 1).
///
/// A placeholder so that the target LeakSteps builds until its first rules land.
package enum StepsModule {}
